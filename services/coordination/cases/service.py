"""Use cases of a case. Functions stage changes and outbox rows; the caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases import rules
from services.coordination.cases.models import Case, CaseAssignment, CaseNumberCounter
from services.coordination.cases.rules import CaseStatus
from services.coordination.consents import service as consents
from services.coordination.db import messaging
from services.coordination.parties import service as parties
from shared.db import new_id, upsert
from shared.errors import NotFound, Text
from shared.events.catalog import CaseAssigned, CaseOpened, CaseReferred, ReferralDeclined, ReferralReturned
from shared.messaging.outbox import emit
from shared.pagination import Ordering, SortKey, keyset_page


class CaseNotFound(NotFound):
    slug = "case-not-found"
    title = Text("ケースが見つかりません。", "Case not found.")


async def open_case(*, session: AsyncSession, referral: CaseReferred, now: datetime) -> Case:
    """ケースの開始: one case per referral, however often the referral is delivered.

    A withdrawal of the referral's consent that arrived first is applied at once: the case opens
    with the person already hidden from the parties.
    """
    await consents.note_scope_of_referral(
        session=session,
        tenant_id=referral.tenant_id,
        consultation_id=referral.consultation_id,
        scope=referral.consent,
    )
    existing = await session.scalar(select(Case).where(Case.referral_id == referral.referral_id))
    if existing is not None:
        return existing
    known = await consents.find_consent(session=session, consent_id=referral.consent.consent_id)
    year = rules.fiscal_year(now)
    case = Case(
        id=rules.case_id_for(referral.tenant_id, referral.referral_id),
        tenant_id=referral.tenant_id,
        case_number=rules.case_number(year, await _next_number(session, referral.tenant_id, year)),
        referral_id=referral.referral_id,
        consultation_id=referral.consultation_id,
        window_code=referral.window_code,
        referring_organisation_id=referral.referring_organisation_id,
        status=CaseStatus.open.value,
        urgency=referral.urgency,
        main_concern=referral.main_concern,
        concerns=list(referral.concerns),
        welfare_fields=list(referral.welfare_fields),
        referral_reason=referral.reason,
        person=referral.person.model_dump(mode="json", exclude_none=True) if referral.person else None,
        household=[m.model_dump(mode="json") for m in referral.household]
        if referral.household is not None
        else None,
        notes=referral.notes,
        tax_information=referral.tax_information,
        consent=referral.consent.model_dump(mode="json"),
        consent_id=referral.consent.consent_id,
        consent_withdrawn_at=known.withdrawn_at if known is not None else None,
        referred_at=referral.referred_at,
        opened_at=now,
        cycle=1,
        version=1,
    )
    session.add(case)
    await session.flush()
    await emit(
        session,
        messaging,
        CaseOpened(
            case_id=case.id,
            case_number=case.case_number,
            referral_id=case.referral_id,
            consultation_id=case.consultation_id,
            tenant_id=case.tenant_id,
            window_code=case.window_code,
            opened_at=now,
        ),
    )
    await parties.join_referring_window(session=session, case=case, now=now)
    return case


async def _next_number(session: AsyncSession, tenant_id: str, year: int) -> int:
    # One statement: the year's first case inserts the counter, every later one bumps it under the
    # row lock, so two openings at the same moment never share a number (nor race on the insert).
    counters = CaseNumberCounter.__table__
    bumped = await session.execute(
        upsert(
            session,
            counters,
            {"tenant_id": tenant_id, "fiscal_year": year, "last_number": 1},
            key=["tenant_id", "fiscal_year"],
            changes=lambda _offered: {"last_number": counters.c.last_number + 1},
        ).returning(counters.c.last_number)
    )
    return int(bumped.scalar_one())


# Built once: a statement reused is scoped and keyed for SQLAlchemy's cache once (shared.auth.scope).
_BY_ID = select(Case).where(Case.id == bindparam("case_id"))


async def get_case(*, session: AsyncSession, case_id: str) -> Case:
    case = await session.scalar(_BY_ID, {"case_id": case_id})
    if case is None:
        raise CaseNotFound()
    return case


async def answer_referral(
    *, session: AsyncSession, case: Case, answer: CaseStatus, reason: str, now: datetime
) -> Case:
    """Decline the case, or return it to the window; the window sees the answer and the reason."""
    case.answer(answer, reason=reason, now=now)
    await session.flush()  # the conditional UPDATE: a concurrent answer makes this one stale
    event_type = ReferralDeclined if answer == CaseStatus.declined else ReferralReturned
    await emit(
        session,
        messaging,
        event_type(
            case_id=case.id,
            referral_id=case.referral_id,
            tenant_id=case.tenant_id,
            reason=reason,
            answered_at=now,
        ),
    )
    return case


async def note_consent_withdrawn(*, session: AsyncSession, consent_id: str, at: datetime) -> None:
    """Cases opened under the consent hide the person from their parties from now on (none yet is
    fine: the withdrawal is remembered in `consents` and applied when the case opens)."""
    await session.execute(
        update(Case)
        .where(Case.consent_id == consent_id, Case.consent_withdrawn_at.is_(None))
        .values(consent_withdrawn_at=at, version=Case.version + 1)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class CaseFilters:
    status: str | None = None
    window_code: str | None = None
    urgency: str | None = None
    consultation_id: str | None = None
    referral_id: str | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None


# What a list shows of a case (CaseListItem): its columns alone, not the whole record (the person,
# the household and the consent stay unread).
LISTED = (
    Case.id,
    Case.tenant_id,
    Case.case_number,
    Case.window_code,
    Case.status,
    Case.urgency,
    Case.main_concern,
    Case.welfare_fields,
    Case.opened_at,
)

NEWEST_FIRST = Ordering(
    "cases", SortKey(Case.opened_at, datetime, descending=True), SortKey(Case.id, str, descending=True)
)


async def list_cases(
    *, session: AsyncSession, filters: CaseFilters, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    conditions: list[Any] = []
    for column, value in (
        (Case.status, filters.status),
        (Case.window_code, filters.window_code),
        (Case.urgency, filters.urgency),
        (Case.consultation_id, filters.consultation_id),
        (Case.referral_id, filters.referral_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.opened_from is not None:
        conditions.append(Case.opened_at >= filters.opened_from)
    if filters.opened_to is not None:
        conditions.append(Case.opened_at < filters.opened_to)
    return await keyset_page(
        session, select(*LISTED).where(*conditions), NEWEST_FIRST, cursor=cursor, limit=limit
    )


async def assign(
    *, session: AsyncSession, case: Case, coordinator: str, name: str, actor: str, now: datetime
) -> Case:
    """担当の包括化推進員: the lead coordinator, assigned or reassigned; every assignment is kept."""
    if rules.CaseStatus(case.status) not in rules.ACTIVE:
        raise rules.InvalidCaseTransition(
            Text("終結・中断・辞退・差し戻しのケースには担当を付けられません。", "The case is not active.")
        )
    case.lead_coordinator = coordinator
    case.lead_coordinator_name = name
    await session.flush()  # the conditional UPDATE first: a concurrent reassignment is stale (412)
    session.add(
        CaseAssignment(
            id=new_id(),
            tenant_id=case.tenant_id,
            case_id=case.id,
            coordinator=coordinator,
            coordinator_name=name,
            assigned_by=actor,
            assigned_at=now,
        )
    )
    await emit(
        session,
        messaging,
        CaseAssigned(case_id=case.id, tenant_id=case.tenant_id, coordinator=coordinator, assigned_at=now),
    )
    return case


async def assignments_of(*, session: AsyncSession, case_id: str) -> list[CaseAssignment]:
    rows = await session.scalars(
        select(CaseAssignment).where(CaseAssignment.case_id == case_id).order_by(CaseAssignment.assigned_at)
    )
    return list(rows.all())
