"""Sharing the person's data with the organisations taking part: on what basis, and the record of
each disclosure (APPI Art. 29). The rules are in `rules.py`; this module reads what they need."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.cases.rules import JST
from services.coordination.consents.models import KnownConsent
from services.coordination.parties import rules
from services.coordination.parties.models import Disclosure, EmergencySharing
from services.coordination.support_meetings import service as support_meetings
from shared.db import add_with_audit, new_id


async def support_meeting_members(*, session: AsyncSession, case: Case) -> Mapping[str, Iterable[str]]:
    """The support meetings the case is linked to (the person's referral named one), and their member
    organisations."""
    return await support_meetings.members_of_linked_meetings(
        session=session, case_id=case.id, tenant_id=case.tenant_id
    )


async def bases(
    *, session: AsyncSession, case: Case, organisation_ids: Iterable[str], now: datetime
) -> dict[str, rules.Basis | None]:
    """Organisation → the legal basis on which it may see the person's data now (None: none)."""
    wanted = list(dict.fromkeys(organisation_ids))
    if not wanted or not case.person:
        return dict.fromkeys(wanted)
    consents = [
        rules.ConsentCover(
            consent_id=c.consent_id,
            purposes=c.purposes,
            data_classes=c.data_classes,
            organisations=c.organisations,
            valid_from=c.valid_from,
            withdrawn_at=c.withdrawn_at,
        )
        for c in await session.scalars(
            select(KnownConsent).where(KnownConsent.consultation_id == case.consultation_id)
        )
    ]
    emergencies = [
        rules.EmergencyCover(e.id, e.organisation_id, e.decided_at, e.until)
        for e in await session.scalars(select(EmergencySharing).where(EmergencySharing.case_id == case.id))
    ]
    members = await support_meeting_members(session=session, case=case)
    today = now.astimezone(JST).date()
    return {
        organisation_id: rules.basis_for(
            organisation_id,
            consents=consents,
            meeting_members=members,
            emergencies=emergencies,
            now=now,
            today=today,
        )
        for organisation_id in wanted
    }


def disclose(
    session: AsyncSession,
    *,
    case: Case,
    organisation_id: str,
    basis: rules.Basis,
    data_classes: Iterable[str],
    channel: str,
    recipient: str | None,
    request_id: str | None,
    now: datetime,
) -> None:
    """Record one disclosure: with the audit entry of the read that makes it, or in the transaction of
    the event that carries it."""
    add_with_audit(
        session,
        Disclosure(
            id=new_id(),
            tenant_id=case.tenant_id,
            case_id=case.id,
            organisation_id=organisation_id,
            basis=basis.kind.value,
            basis_reference=basis.reference,
            data_classes=sorted(set(data_classes)),
            channel=channel,
            recipient=recipient,
            request_id=request_id,
            disclosed_at=now,
        ),
    )
