"""The coordinator's work list: my cases, their state and the next thing due, oldest due first."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.assessments.models import Assessment
from services.coordination.cases import rules
from services.coordination.cases.models import Case
from services.coordination.cases.rules import ACTIVE, JST, CaseStatus
from services.coordination.cases.schemas import WorkItem
from services.coordination.monitoring.service import recorded_dates
from services.coordination.plans.models import SupportPlan

_LAST = date.max


async def work_list(*, session: AsyncSession, coordinator: str) -> list[WorkItem]:
    # The columns the list needs, not the whole records (a case carries the person).
    cases = (
        await session.execute(
            select(Case.id, Case.case_number, Case.status, Case.urgency, Case.opened_at, Case.cycle).where(
                Case.lead_coordinator == coordinator, Case.status.in_([s.value for s in ACTIVE])
            )
        )
    ).all()
    case_ids = [c.id for c in cases]
    plans = (
        await session.execute(
            select(
                SupportPlan.id,
                SupportPlan.case_id,
                SupportPlan.cycle,
                SupportPlan.status,
                SupportPlan.updated_at,
                SupportPlan.monitoring_dates,
            ).where(
                SupportPlan.case_id.in_(case_ids),
                SupportPlan.status.in_(("drafting", "approved", "confirmed")),
            )
        )
    ).all()
    recorded = await recorded_dates(session, [p.id for p in plans if p.status == "confirmed"])
    assessed = set(
        (await session.scalars(select(Assessment.case_id).where(Assessment.case_id.in_(case_ids)))).all()
    )
    items = []
    for case in cases:
        own = [p for p in plans if p.case_id == case.id and p.cycle == case.cycle]
        undecided = next((p for p in own if p.status in ("drafting", "approved")), None)
        in_force = next((p for p in own if p.status == "confirmed"), None)
        due = rules.next_due(
            CaseStatus(case.status),
            opened_on=case.opened_at.astimezone(JST).date(),
            undecided_plan=(undecided.status, undecided.updated_at.astimezone(JST).date())
            if undecided
            else None,
            monitoring_dates=[
                day
                for day in (date.fromisoformat(d) for d in in_force.monitoring_dates)
                if day not in recorded.get(in_force.id, [])
            ]
            if in_force
            else [],
            assessed=case.id in assessed,
        )
        items.append(
            WorkItem(
                case_id=case.id,
                case_number=case.case_number,
                status=CaseStatus(case.status),
                urgency=case.urgency,
                next=due.next,
                due_on=due.due_on,
            )
        )
    return sorted(items, key=lambda i: (i.due_on or _LAST, i.case_number))
