"""Use cases of support-meeting records: record one, accept its duty of confidentiality, show it to
its member persons, and link the consented case that grew out of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.rules import JST
from services.coordination.consents import service as consents
from services.coordination.organisations import service as organisations
from services.coordination.support_meetings import rules
from services.coordination.support_meetings.models import (
    ConfidentialityAcceptance,
    SupportMeeting,
    SupportMeetingCaseLink,
)
from services.coordination.support_meetings.schemas import (
    AcceptanceIn,
    AcceptanceOut,
    EmergencyResponseIn,
    MemberPersonOut,
    SharedInformationIn,
    SupportMeetingCreate,
    SupportMeetingLinkOut,
    SupportMeetingOut,
    WatchingIn,
)
from shared.db import new_id, upsert
from shared.errors import FieldProblem, InvalidInput, NotFound, Text
from shared.pagination import Ordering, SortKey, keyset_page

PREFIX = "/coordination/v1/support-meetings"


class SupportMeetingNotFound(NotFound):
    slug = "support-meeting-not-found"
    title = Text("支援会議の記録が見つかりません。", "Support meeting not found.")


@dataclass(frozen=True)
class Viewer:
    """Who reads: the caller's organisation and token subject."""

    organisation_id: str
    subject: str


def _named(data: SupportMeetingCreate) -> list[tuple[str, str]]:
    named = [
        (f"information_shared[{i}].organisation_id", e.organisation_id)
        for i, e in enumerate(data.information_shared)
    ]
    named += [(f"watching[{i}].organisation_id", e.organisation_id) for i, e in enumerate(data.watching)]
    named += [
        (f"emergency_responses[{i}].organisation_id", e.organisation_id)
        for i, e in enumerate(data.emergency_responses)
        if e.organisation_id is not None
    ]
    return named


async def record_support_meeting(
    *,
    session: AsyncSession,
    tenant_id: str,
    convened_by: str,
    recorded_by: str,
    data: SupportMeetingCreate,
    now: datetime,
) -> SupportMeeting:
    """The recording officer is a member person of the convening organisation whether listed or
    not, and their acceptance of the duty is recorded with the record (`on_recording`)."""
    persons = [
        rules.PersonFacts(organisation_id=m.organisation_id, subject=m.subject, name=m.name, role=m.role)
        for m in data.members
    ]
    facts = rules.MeetingFacts(
        tenant_id=tenant_id,
        convened_by=convened_by,
        recorded_by=recorded_by,
        persons=persons,
        held_on=data.held_on,
        consultation_id=data.consultation_id,
        tax_information=data.tax_information,
        tax_consent_id=data.tax_consent_id,
        named=_named(data),
    )
    rules.check_meeting(
        facts,
        today=now.astimezone(JST).date(),
        now=now,
        member_tenants=await organisations.tenants_of(session=session, organisation_ids=facts.members),
        tax_consent=await _tax_consent(session, data.tax_consent_id),
    )
    listed = [m.model_dump(mode="json") for m in data.members]
    recorder = next((p for p in persons if p.subject == recorded_by), None)
    if recorder is None:
        recorder = rules.PersonFacts(organisation_id=convened_by, subject=recorded_by)
        listed.append({"organisation_id": convened_by, "name": None, "role": None, "subject": recorded_by})
    meeting = SupportMeeting(
        id=new_id(),
        tenant_id=tenant_id,
        convened_by=convened_by,
        held_on=data.held_on,
        members=facts.members,
        member_index="|" + "|".join(facts.members) + "|",
        member_persons=listed,
        concerning=data.concerning,
        consultation_id=data.consultation_id,
        discussion=data.discussion,
        information_shared=[e.model_dump(mode="json") for e in data.information_shared],
        watching=[e.model_dump(mode="json") for e in data.watching],
        direction=data.direction,
        emergency_responses=[e.model_dump(mode="json") for e in data.emergency_responses],
        tax_information=data.tax_information,
        tax_consent_id=data.tax_consent_id,
        recorded_by=recorded_by,
        created_at=now,
        version=1,
    )
    session.add(meeting)
    await session.flush()
    session.add(
        ConfidentialityAcceptance(
            id=new_id(),
            tenant_id=tenant_id,
            meeting_id=meeting.id,
            organisation_id=convened_by,
            subject=recorded_by,
            name=recorder.name,
            role=recorder.role,
            accepted_at=now,
            on_recording=True,
        )
    )
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


def persons_of(meeting: SupportMeeting) -> list[rules.PersonFacts]:
    return [
        rules.PersonFacts(
            organisation_id=str(p["organisation_id"]),
            subject=str(p["subject"]),
            name=p.get("name"),
            role=p.get("role"),
        )
        for p in meeting.member_persons or []
    ]


async def _acceptances(
    session: AsyncSession, meeting_ids: Sequence[str]
) -> dict[str, list[ConfidentialityAcceptance]]:
    rows = await session.scalars(
        select(ConfidentialityAcceptance)
        .where(ConfidentialityAcceptance.meeting_id.in_(list(meeting_ids)))
        .order_by(ConfidentialityAcceptance.accepted_at, ConfidentialityAcceptance.id)
    )
    found: dict[str, list[ConfidentialityAcceptance]] = {}
    for row in rows:
        found.setdefault(row.meeting_id, []).append(row)
    return found


def _acceptance_out(row: ConfidentialityAcceptance) -> AcceptanceOut:
    return AcceptanceOut(
        id=row.id,
        meeting_id=row.meeting_id,
        organisation_id=row.organisation_id,
        subject=row.subject,
        name=row.name,
        role=row.role,
        accepted_at=row.accepted_at,
        on_recording=row.on_recording,
    )


async def accept_confidentiality(
    *, session: AsyncSession, meeting: SupportMeeting, viewer: Viewer, data: AcceptanceIn, now: datetime
) -> AcceptanceOut:
    """守秘義務の受諾, once per meeting and person: accepting again answers the first acceptance.

    The unique key (meeting, subject) holds it; two acceptances at the same moment insert once."""
    persons = persons_of(meeting)
    rules.may_accept(persons, meeting.members, organisation_id=viewer.organisation_id, subject=viewer.subject)
    named = next((p for p in persons if p.subject == viewer.subject), None)
    if named is None and data.name is None:
        raise InvalidInput(
            fields=[
                FieldProblem(
                    "name",
                    Text(
                        "この記録には出席者が記載されていないため、氏名を記入してください。",
                        "This record names no attendees for your organisation: give your name.",
                    ),
                    "missing",
                )
            ]
        )
    table = ConfidentialityAcceptance.__table__
    await session.execute(
        upsert(
            session,
            table,
            {
                "id": new_id(),
                "tenant_id": meeting.tenant_id,
                "meeting_id": meeting.id,
                "organisation_id": viewer.organisation_id,
                "subject": viewer.subject,
                "name": named.name if named is not None else data.name,
                "role": named.role if named is not None else data.role,
                "accepted_at": now,
                "on_recording": False,
            },
            key=["meeting_id", "subject"],
        )
    )
    row = await session.scalar(
        select(ConfidentialityAcceptance)
        .where(
            ConfidentialityAcceptance.meeting_id == meeting.id,
            ConfidentialityAcceptance.subject == viewer.subject,
        )
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return _acceptance_out(row)


def _accepted(rows: Sequence[ConfidentialityAcceptance]) -> dict[str, str]:
    return {row.subject: row.organisation_id for row in rows}


def check_material_shown(
    meeting: SupportMeeting, acceptances: Sequence[ConfidentialityAcceptance], viewer: Viewer
) -> None:
    rules.check_material_shown(
        persons_of(meeting),
        meeting.members,
        _accepted(acceptances),
        organisation_id=viewer.organisation_id,
        subject=viewer.subject,
        accept_at=f"{PREFIX}/{meeting.id}/confidentiality-acceptances",
    )


async def get_shown_meeting(*, session: AsyncSession, meeting_id: str, viewer: Viewer) -> SupportMeetingOut:
    """The record with its material, for a member person who accepted the duty (403 otherwise)."""
    meeting = await get_support_meeting(session=session, meeting_id=meeting_id)
    acceptances = (await _acceptances(session, [meeting.id])).get(meeting.id, [])
    check_material_shown(meeting, acceptances, viewer)
    (shown,) = await as_shown(session=session, meetings=[meeting], viewer=viewer)
    return shown


async def _withdrawn_tax_consents(session: AsyncSession, meetings: Sequence[SupportMeeting]) -> set[str]:
    withdrawn: set[str] = set()
    for consent_id in {m.tax_consent_id for m in meetings if m.tax_consent_id}:
        known = await consents.find_consent(session=session, consent_id=consent_id)
        if known is None or known.withdrawn_at is not None:
            withdrawn.add(consent_id)
    return withdrawn


async def _linked_cases(session: AsyncSession, meetings: Sequence[SupportMeeting]) -> dict[str, list[str]]:
    tenant_of = {m.id: m.tenant_id for m in meetings}
    rows = await session.execute(
        select(
            SupportMeetingCaseLink.support_meeting_id,
            SupportMeetingCaseLink.case_id,
            SupportMeetingCaseLink.tenant_id,
        )
        .where(SupportMeetingCaseLink.support_meeting_id.in_(list(tenant_of)))
        .order_by(SupportMeetingCaseLink.linked_at, SupportMeetingCaseLink.case_id)
    )
    linked: dict[str, list[str]] = {}
    for row in rows:
        if tenant_of.get(row.support_meeting_id) == row.tenant_id:  # the same municipality only
            linked.setdefault(row.support_meeting_id, []).append(row.case_id)
    return linked


async def as_shown(
    *, session: AsyncSession, meetings: Sequence[SupportMeeting], viewer: Viewer
) -> list[SupportMeetingOut]:
    """The records as this member sees them: the material only once they accepted the duty; tax
    information only while the consent it was shared under stands (a withdrawal hides it from then
    on; the record itself is kept)."""
    ids = [m.id for m in meetings]
    acceptances = await _acceptances(session, ids)
    withdrawn = await _withdrawn_tax_consents(session, meetings)
    linked = await _linked_cases(session, meetings)
    return [
        _shown(m, acceptances.get(m.id, []), viewer, linked.get(m.id, []), m.tax_consent_id in withdrawn)
        for m in meetings
    ]


def _members_out(
    meeting: SupportMeeting, acceptances: Sequence[ConfidentialityAcceptance]
) -> list[MemberPersonOut]:
    by_subject = {a.subject: a for a in acceptances}
    members = []
    for person in persons_of(meeting):
        accepted = by_subject.pop(person.subject, None)
        members.append(
            MemberPersonOut(
                organisation_id=person.organisation_id,
                name=person.name,
                role=person.role,
                subject=person.subject,
                confidentiality_accepted_at=accepted.accepted_at if accepted else None,
            )
        )
    # Staff who accepted for an organisation the record names no one for (an older record).
    members += [
        MemberPersonOut(
            organisation_id=a.organisation_id,
            name=a.name,
            role=a.role,
            subject=a.subject,
            confidentiality_accepted_at=a.accepted_at,
        )
        for a in by_subject.values()
    ]
    return members


def _shown(
    meeting: SupportMeeting,
    acceptances: Sequence[ConfidentialityAcceptance],
    viewer: Viewer,
    linked: list[str],
    tax_withdrawn: bool,
) -> SupportMeetingOut:
    shown = rules.material_shown(
        persons_of(meeting),
        meeting.members,
        _accepted(acceptances),
        organisation_id=viewer.organisation_id,
        subject=viewer.subject,
    )
    out = SupportMeetingOut(
        id=meeting.id,
        tenant_id=meeting.tenant_id,
        convened_by=meeting.convened_by,
        held_on=meeting.held_on,
        member_organisations=list(meeting.members),
        members=_members_out(meeting, acceptances),
        material_shown=shown,
        concerning=None,
        consultation_id=None,
        discussion=None,
        information_shared=None,
        watching=None,
        direction=None,
        emergency_responses=None,
        tax_information=None,
        tax_consent_id=None,
        linked_case_ids=None,
        recorded_by=meeting.recorded_by,
        created_at=meeting.created_at,
    )
    if not shown:
        return out
    return out.model_copy(
        update={
            "concerning": meeting.concerning,
            "consultation_id": meeting.consultation_id,
            "discussion": meeting.discussion,
            "information_shared": [
                SharedInformationIn.model_validate(e) for e in meeting.information_shared or []
            ],
            "watching": [WatchingIn.model_validate(e) for e in meeting.watching or []],
            "direction": meeting.direction,
            "emergency_responses": [
                EmergencyResponseIn.model_validate(e) for e in meeting.emergency_responses or []
            ],
            "tax_information": None if tax_withdrawn else meeting.tax_information,
            "tax_consent_id": meeting.tax_consent_id,
            "linked_case_ids": linked,
        }
    )


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


# --- the consented case that grew out of a meeting -----------------------------------------------


async def link_case(
    *,
    session: AsyncSession,
    tenant_id: str,
    support_meeting_id: str,
    case_id: str,
    referral_id: str,
    now: datetime,
) -> None:
    """Remembered as the referral named it, in whatever order things arrive (a redelivery changes
    nothing); shown only with a record of the same municipality."""
    await session.execute(
        upsert(
            session,
            SupportMeetingCaseLink.__table__,
            {
                "id": new_id(),
                "tenant_id": tenant_id,
                "support_meeting_id": support_meeting_id,
                "case_id": case_id,
                "referral_id": referral_id,
                "linked_at": now,
            },
            key=["support_meeting_id", "case_id"],
        )
    )


async def links_of_case(*, session: AsyncSession, case_id: str) -> list[SupportMeetingLinkOut]:
    """The support meetings of the case's municipality that preceded it: ids only."""
    rows = await session.execute(
        select(
            SupportMeetingCaseLink.support_meeting_id,
            SupportMeetingCaseLink.case_id,
            SupportMeetingCaseLink.linked_at,
        )
        .join(
            SupportMeeting,
            (SupportMeeting.id == SupportMeetingCaseLink.support_meeting_id)
            & (SupportMeeting.tenant_id == SupportMeetingCaseLink.tenant_id),
        )
        .where(SupportMeetingCaseLink.case_id == case_id)
        .order_by(SupportMeetingCaseLink.linked_at, SupportMeetingCaseLink.support_meeting_id)
    )
    return [
        SupportMeetingLinkOut(
            support_meeting_id=r.support_meeting_id, case_id=r.case_id, linked_at=r.linked_at
        )
        for r in rows
    ]


async def members_of_linked_meetings(
    *, session: AsyncSession, case_id: str, tenant_id: str
) -> dict[str, list[str]]:
    """The support meetings a case is linked to (of its own municipality) → their member
    organisations: what a legal basis of sharing "support meeting, Art. 106-6" is checked against.

    Read whatever the caller's reach (a case party's request sees no meeting record): the member
    organisations are not the meeting's material, and nothing else is read. Hence plain table
    selects, with the tenant named, rather than ORM entities under the request's scope."""
    links = SupportMeetingCaseLink.__table__
    meetings = SupportMeeting.__table__
    rows = await session.execute(
        select(meetings.c.id, meetings.c.members)
        .join(
            links,
            (links.c.support_meeting_id == meetings.c.id) & (links.c.tenant_id == meetings.c.tenant_id),
        )
        .where(links.c.case_id == case_id, links.c.tenant_id == tenant_id)
        .order_by(meetings.c.id)
    )
    return {row.id: list(row.members) for row in rows}
