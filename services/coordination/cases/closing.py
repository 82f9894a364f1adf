"""Use cases of a case's end and new start: termination (終結), suspension (中断), reopening (再開).

Each is an explicit act, decided by its rule in cases/rules.py; the case keeps its current state,
`case_state_changes` every move."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases import rules
from services.coordination.cases.models import Case
from services.coordination.cases.rules import JST, ClosingDecision
from services.coordination.db import messaging
from services.coordination.plan_meetings.models import PlanMeetingDecision
from services.coordination.plan_meetings.rules import MeetingPurpose
from services.coordination.progress_notes import service as notes
from services.coordination.progress_notes.models import CaseStateChange
from services.coordination.progress_notes.rules import attempts_since_contact
from services.coordination.progress_notes.schemas import ReopeningIn, SuspensionIn, TerminationIn
from shared.db import new_id
from shared.events.catalog import CaseReopened, CaseSuspended, CaseTerminated
from shared.messaging.outbox import emit


async def _decision(
    session: AsyncSession, case_id: str, meeting_id: str, purpose: MeetingPurpose
) -> ClosingDecision | None:
    """What the meeting decided for the case: the decision of this purpose if it took one (and
    approved it), else any other it took (the rule then names the wrong purpose)."""
    rows = (
        await session.scalars(
            select(PlanMeetingDecision).where(
                PlanMeetingDecision.meeting_id == meeting_id,
                PlanMeetingDecision.case_id == case_id,
                PlanMeetingDecision.approved.is_(True),
            )
        )
    ).all()
    chosen = next((r for r in rows if r.purpose == purpose.value), rows[0] if rows else None)
    if chosen is None:
        return None
    return ClosingDecision(chosen.case_id, MeetingPurpose(chosen.purpose), chosen.held_on)


def _moved(
    case: Case,
    to: rules.CaseStatus,
    *,
    day: date,
    meeting_id: str | None,
    reason: str | None,
    details: dict[str, Any],
    actor: str,
    now: datetime,
) -> CaseStateChange:
    change = CaseStateChange(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        from_status=case.status,
        to_status=to.value,
        occurred_on=day,
        meeting_id=meeting_id,
        reason=reason,
        details=details,
        recorded_by=actor,
        recorded_at=now,
    )
    case.status = to.value
    case.status_reason = reason
    return change


async def terminate(
    *, session: AsyncSession, case: Case, data: TerminationIn, actor: str, now: datetime
) -> Case:
    today = now.astimezone(JST).date()
    decision = await _decision(session, case.id, data.meeting_id, MeetingPurpose.termination)
    target = rules.check_termination(case.status, case.id, decision, today=today)
    assert decision is not None
    change = _moved(
        case,
        target,
        day=decision.held_on,
        meeting_id=data.meeting_id,
        reason=None,
        details={
            "goals": [g.model_dump() for g in data.goals],
            "follow_up": [f.model_dump() for f in data.follow_up],
        },
        actor=actor,
        now=now,
    )
    case.closed_at = now
    await session.flush()  # the conditional UPDATE first: a concurrent change of the case is stale
    session.add(change)
    await emit(
        session,
        messaging,
        CaseTerminated(
            case_id=case.id,
            tenant_id=case.tenant_id,
            occurred_on=decision.held_on,
            moved_at=now,
            meeting_id=data.meeting_id,
        ),
    )
    return case


async def suspend(
    *, session: AsyncSession, case: Case, data: SuspensionIn, actor: str, now: datetime
) -> Case:
    today = now.astimezone(JST).date()
    decision = await _decision(session, case.id, data.meeting_id, MeetingPurpose.suspension)
    attempts = attempts_since_contact(await notes.note_facts(session=session, case=case))
    target = rules.check_suspension(
        case.status, case.id, decision, attempts_since_contact=attempts, today=today
    )
    assert decision is not None
    change = _moved(
        case,
        target,
        day=decision.held_on,
        meeting_id=data.meeting_id,
        reason=data.reason,
        details={"contact_attempts": attempts},
        actor=actor,
        now=now,
    )
    case.closed_at = now
    await session.flush()
    session.add(change)
    await emit(
        session,
        messaging,
        CaseSuspended(
            case_id=case.id,
            tenant_id=case.tenant_id,
            occurred_on=decision.held_on,
            moved_at=now,
            meeting_id=data.meeting_id,
        ),
    )
    return case


async def reopen(*, session: AsyncSession, case: Case, data: ReopeningIn, actor: str, now: datetime) -> Case:
    """A new plan cycle: the next plan is a first plan (evaluated, not re-planned)."""
    target = rules.check_reopening(case.status)
    today = now.astimezone(JST).date()
    change = _moved(
        case, target, day=today, meeting_id=None, reason=data.reason, details={}, actor=actor, now=now
    )
    case.cycle += 1
    case.closed_at = None
    await session.flush()
    session.add(change)
    await emit(
        session,
        messaging,
        CaseReopened(
            case_id=case.id, tenant_id=case.tenant_id, occurred_on=today, moved_at=now, cycle=case.cycle
        ),
    )
    return case


async def state_changes(*, session: AsyncSession, case_id: str) -> list[CaseStateChange]:
    rows = await session.scalars(
        select(CaseStateChange)
        .where(CaseStateChange.case_id == case_id)
        .order_by(CaseStateChange.recorded_at)
    )
    return list(rows.all())
