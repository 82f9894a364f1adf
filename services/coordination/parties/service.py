"""Use cases of the organisations taking part in a case (関係機関) and of emergency sharing.
Functions stage changes and outbox rows; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases import rules as case_rules
from services.coordination.cases.models import Case
from services.coordination.cases.rules import JST
from services.coordination.db import messaging
from services.coordination.organisations import service as organisations
from services.coordination.parties import rules
from services.coordination.parties.models import CaseParty, EmergencySharing
from services.coordination.parties.schemas import EmergencySharingIn, PartyChange, PartyIn
from shared.db import is_unique_violation, new_id
from shared.errors import Conflict, NotFound, Text
from shared.events.catalog import CasePartyAdded, CasePartyChanged, EmergencySharingRecorded
from shared.messaging.outbox import emit

REFERRING_WINDOW = "相談受付窓口（紹介元）"


class PartyNotFound(NotFound):
    slug = "case-party-not-found"
    title = Text("関係機関の記録が見つかりません。", "No such organisation taking part.")


class EmergencySharingNotFound(NotFound):
    slug = "emergency-sharing-not-found"
    title = Text("緊急時の情報提供の記録が見つかりません。", "Emergency sharing record not found.")


class AlreadyTakingPart(Conflict):
    slug = "already-taking-part"
    title = Text(
        "この組織はすでにケースの関係機関です。役割や期間の変更は既存の記録を更新してください。",
        "The organisation already takes part in the case: change its part instead.",
    )


class AlreadyAcknowledged(Conflict):
    slug = "already-acknowledged"
    title = Text("この報告はすでに確認済みです。", "This report has already been acknowledged.")


def _today(now: datetime) -> date:
    return now.astimezone(JST).date()


async def open_parts(*, session: AsyncSession, case_id: str) -> list[CaseParty]:
    rows = await session.scalars(
        select(CaseParty)
        .where(CaseParty.case_id == case_id, CaseParty.to_on.is_(None))
        .order_by(CaseParty.added_at, CaseParty.id)
    )
    return list(rows.all())


async def taking_part(*, session: AsyncSession, case_ids: Sequence[str], today: date) -> dict[str, list[str]]:
    """Case id → the organisations taking part in it today, in the order they joined."""
    rows = await session.execute(
        select(CaseParty.case_id, CaseParty.organisation_id)
        .where(
            CaseParty.case_id.in_(list(case_ids)),
            CaseParty.from_on <= today,
            or_(CaseParty.to_on.is_(None), CaseParty.to_on >= today),
        )
        .order_by(CaseParty.added_at, CaseParty.id)
    )
    found: dict[str, list[str]] = {case_id: [] for case_id in case_ids}
    for row in rows:
        if row.organisation_id not in found[row.case_id]:
            found[row.case_id].append(row.organisation_id)
    return found


async def _join(
    session: AsyncSession,
    case: Case,
    *,
    organisation_id: str,
    role: str,
    from_on: date,
    to_on: date | None,
    actor: str,
    now: datetime,
) -> CaseParty:
    party = CaseParty(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        organisation_id=organisation_id,
        role=role,
        from_on=from_on,
        to_on=to_on,
        added_by=actor,
        added_at=now,
        version=1,
    )
    session.add(party)
    try:
        await session.flush()
    except IntegrityError as error:
        # The partial unique index keeps one open part per organisation, against a concurrent add.
        if is_unique_violation(error):
            raise AlreadyTakingPart() from error
        raise
    await emit(session, messaging, CasePartyAdded(**_event_fields(party), added_at=now))
    return party


def _event_fields(party: CaseParty) -> dict[str, object]:
    return {
        "case_id": party.case_id,
        "tenant_id": party.tenant_id,
        "party_id": party.id,
        "organisation_id": party.organisation_id,
        "role": party.role,
        "from_on": party.from_on,
        "to_on": party.to_on,
    }


async def join_referring_window(*, session: AsyncSession, case: Case, now: datetime) -> None:
    """At opening: the window that referred the case is its first organisation taking part."""
    await _join(
        session,
        case,
        organisation_id=case.referring_organisation_id,
        role=REFERRING_WINDOW,
        from_on=_today(now),
        to_on=None,
        actor="coordination",
        now=now,
    )


async def join_from_plan(
    *, session: AsyncSession, case: Case, items: Iterable[dict[str, object]], actor: str, now: datetime
) -> None:
    """At confirmation: each item's organisation takes part (from the item's start) unless it does."""
    present = {p.organisation_id for p in await open_parts(session=session, case_id=case.id)}
    for item in items:
        organisation_id = str(item["organisation_id"])
        if organisation_id in present:
            continue
        present.add(organisation_id)
        starts = item.get("starts_on")
        await _join(
            session,
            case,
            organisation_id=organisation_id,
            role=str(item["what"]),
            from_on=min(date.fromisoformat(str(starts)), _today(now)) if starts else _today(now),
            to_on=None,
            actor=actor,
            now=now,
        )


async def add_party(
    *, session: AsyncSession, case: Case, data: PartyIn, actor: str, now: datetime
) -> CaseParty:
    if case_rules.CaseStatus(case.status) not in case_rules.ACTIVE:
        raise case_rules.InvalidCaseTransition(
            Text(
                "終結・中断・辞退・差し戻しのケースには関係機関を追加できません（再開は明示の操作で行います）。",
                "The case is not active: reopen it first (a case reopens only by its own act).",
            )
        )
    tenants = await organisations.tenants_of(session=session, organisation_ids=[data.organisation_id])
    rules.check_party(
        rules.PartyFacts(data.organisation_id, data.from_on, data.to_on),
        case_tenant=case.tenant_id,
        organisation_tenant=tenants.get(data.organisation_id),
    )
    if any(
        p.organisation_id == data.organisation_id for p in await open_parts(session=session, case_id=case.id)
    ):
        raise AlreadyTakingPart()
    return await _join(
        session,
        case,
        organisation_id=data.organisation_id,
        role=data.role,
        from_on=data.from_on,
        to_on=data.to_on,
        actor=actor,
        now=now,
    )


async def get_party(*, session: AsyncSession, party_id: str) -> CaseParty:
    party = await session.get(CaseParty, party_id)
    if party is None:
        raise PartyNotFound()
    return party


async def change_party(
    *, session: AsyncSession, party: CaseParty, data: PartyChange, now: datetime
) -> CaseParty:
    rules.check_party(
        rules.PartyFacts(party.organisation_id, data.from_on, data.to_on),
        case_tenant=party.tenant_id,
        organisation_tenant=party.tenant_id,  # checked when it joined
    )
    party.role = data.role
    party.from_on = data.from_on
    party.to_on = data.to_on
    await session.flush()  # the conditional UPDATE: a concurrent change makes this one stale
    await emit(session, messaging, CasePartyChanged(**_event_fields(party), changed_at=now))
    return party


async def parties_of(*, session: AsyncSession, case_id: str) -> list[CaseParty]:
    rows = await session.scalars(
        select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.added_at, CaseParty.id)
    )
    return list(rows.all())


# --- emergency sharing ------------------------------------------------------------------------------


async def record_emergency(
    *,
    session: AsyncSession,
    case: Case,
    data: EmergencySharingIn,
    actor: str,
    now: datetime,
) -> EmergencySharing:
    today = _today(now)
    present = (await taking_part(session=session, case_ids=[case.id], today=today))[case.id]
    rules.check_emergency(
        rules.EmergencyFacts(data.organisation_id, data.decided_at, data.until),
        taking_part=present,
        now=now,
        decided_day=data.decided_at.astimezone(JST).date(),
    )
    sharing = EmergencySharing(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        organisation_id=data.organisation_id,
        reason=data.reason,
        decided_by=actor,
        decided_by_name=data.decided_by_name,
        decided_at=data.decided_at,
        until=data.until,
        recorded_at=now,
        version=1,
    )
    session.add(sharing)
    await session.flush()
    await emit(
        session,
        messaging,
        EmergencySharingRecorded(
            case_id=case.id,
            tenant_id=case.tenant_id,
            sharing_id=sharing.id,
            organisation_id=sharing.organisation_id,
            decided_at=sharing.decided_at,
            until=sharing.until,
            recorded_at=now,
        ),
    )
    return sharing


async def get_emergency(*, session: AsyncSession, sharing_id: str) -> EmergencySharing:
    sharing = await session.get(EmergencySharing, sharing_id)
    if sharing is None:
        raise EmergencySharingNotFound()
    return sharing


async def acknowledge_emergency(
    *, session: AsyncSession, sharing: EmergencySharing, actor: str, now: datetime
) -> EmergencySharing:
    if sharing.acknowledged_at is not None:
        raise AlreadyAcknowledged()
    sharing.acknowledged_by = actor
    sharing.acknowledged_at = now
    await session.flush()
    return sharing
