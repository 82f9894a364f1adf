"""Use cases of support-meeting records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.rules import JST
from services.coordination.consents import service as consents
from services.coordination.organisations import service as organisations
from services.coordination.support_meetings import rules
from services.coordination.support_meetings.models import SupportMeeting
from services.coordination.support_meetings.schemas import SupportMeetingCreate, SupportMeetingOut
from shared.db import new_id
from shared.errors import NotFound, Text
from shared.pagination import Ordering, SortKey, keyset_page


class SupportMeetingNotFound(NotFound):
    slug = "support-meeting-not-found"
    title = Text("支援会議の記録が見つかりません。", "Support meeting not found.")


async def record_support_meeting(
    *, session: AsyncSession, tenant_id: str, convened_by: str, data: SupportMeetingCreate, now: datetime
) -> SupportMeeting:
    members = list(dict.fromkeys(data.members))
    facts = rules.MeetingFacts(
        tenant_id=tenant_id,
        convened_by=convened_by,
        members=members,
        held_on=data.held_on,
        consultation_id=data.consultation_id,
        tax_information=data.tax_information,
        tax_consent_id=data.tax_consent_id,
    )
    rules.check_meeting(
        facts,
        today=now.astimezone(JST).date(),
        now=now,
        member_tenants=await organisations.tenants_of(session=session, organisation_ids=members),
        tax_consent=await _tax_consent(session, data.tax_consent_id),
    )
    meeting = SupportMeeting(
        id=new_id(),
        tenant_id=tenant_id,
        convened_by=convened_by,
        held_on=data.held_on,
        members=members,
        member_index="|" + "|".join(members) + "|",
        concerning=data.concerning,
        consultation_id=data.consultation_id,
        discussion=data.discussion,
        direction=data.direction,
        tax_information=data.tax_information,
        tax_consent_id=data.tax_consent_id,
        created_at=now,
        version=1,
    )
    session.add(meeting)
    await session.flush()
    return meeting


async def _tax_consent(session: AsyncSession, consent_id: str | None) -> rules.ConsentFacts | None:
    if consent_id is None:
        return None
    # FOR SHARE: a withdrawal arriving at the same moment waits for this meeting's commit (and then
    # hides its tax information), rather than slipping between the check and the insert.
    known = await consents.find_consent(session=session, consent_id=consent_id, lock=True)
    if known is None:
        return None
    return rules.ConsentFacts(
        tenant_id=known.tenant_id,
        consultation_id=known.consultation_id,
        data_classes=known.data_classes,
        purposes=known.purposes,
        organisations=known.organisations,
        valid_from=known.valid_from,
        withdrawn_at=known.withdrawn_at,
    )


async def as_shown(*, session: AsyncSession, meetings: Sequence[SupportMeeting]) -> list[SupportMeetingOut]:
    """The records as members see them: tax information only while the consent it was shared
    under stands (a withdrawal hides it from then on; the record itself is kept)."""
    consent_ids = {m.tax_consent_id for m in meetings if m.tax_consent_id}
    withdrawn: set[str] = set()
    for consent_id in consent_ids:
        known = await consents.find_consent(session=session, consent_id=consent_id)
        if known is None or known.withdrawn_at is not None:
            withdrawn.add(consent_id)
    shown = []
    for meeting in meetings:
        out = SupportMeetingOut.model_validate(meeting)
        if meeting.tax_consent_id in withdrawn:
            out = out.model_copy(update={"tax_information": None})
        shown.append(out)
    return shown


async def get_support_meeting(*, session: AsyncSession, meeting_id: str) -> SupportMeeting:
    meeting = await session.get(SupportMeeting, meeting_id)
    if meeting is None:
        raise SupportMeetingNotFound()
    return meeting


NEWEST_FIRST = Ordering(
    "support_meetings",
    SortKey(SupportMeeting.held_on, date, descending=True),
    SortKey(SupportMeeting.id, str, descending=True),
)


async def list_support_meetings(
    *, session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[SupportMeeting], str | None]:
    """Most recently held first, by (held_on, id)."""
    return await keyset_page(session, select(SupportMeeting), NEWEST_FIRST, cursor=cursor, limit=limit)
