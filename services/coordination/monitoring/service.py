"""Use cases of monitoring: record one, list what is due, notice what is overdue (once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.cases.rules import ACTIVE, JST
from services.coordination.cases.service import CaseNotFound
from services.coordination.db import messaging
from services.coordination.monitoring.models import MonitoringRecord, OverdueNotice
from services.coordination.monitoring.rules import due_dates
from services.coordination.monitoring.schemas import MonitoringDue, MonitoringIn
from services.coordination.plans.models import SupportPlan
from services.coordination.plans.rules import PlanStatus
from shared.db import Database, new_id, upsert
from shared.errors import Conflict, FieldProblem, InvalidInput, Text
from shared.events.catalog import MonitoringOverdue
from shared.messaging.outbox import emit


class NoPlanInForce(Conflict):
    slug = "no-plan-in-force"
    title = Text("確定したプランがないため、モニタリングを記録できません。", "The case has no plan in force.")


class AlreadyMonitored(Conflict):
    slug = "already-monitored"
    title = Text("この予定日のモニタリングは記録済みです。", "This monitoring date is recorded already.")


async def plan_in_force(session: AsyncSession, case: Case) -> SupportPlan | None:
    found = await session.scalars(
        select(SupportPlan).where(
            SupportPlan.case_id == case.id,
            SupportPlan.cycle == case.cycle,
            SupportPlan.status == PlanStatus.confirmed.value,
        )
    )
    return found.first()


async def record_monitoring(
    *, session: AsyncSession, case_id: str, data: MonitoringIn, actor: str, now: datetime, today: date
) -> MonitoringRecord:
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    plan = await plan_in_force(session, case)
    if plan is None:
        raise NoPlanInForce()
    problems: list[FieldProblem] = []
    if data.due_on.isoformat() not in plan.monitoring_dates:
        problems.append(
            FieldProblem(
                "due_on",
                Text("プランのモニタリング予定日ではありません。", "Not a monitoring date of the plan."),
                "not_planned",
            )
        )
    if data.monitored_on > today:
        problems.append(FieldProblem("monitored_on", Text("未来の日付です。", "In the future."), "in_future"))
    items = {str(i["id"]) for i in plan.items}
    for i, item in enumerate(data.items):
        if item.item_id not in items:
            problems.append(
                FieldProblem(
                    f"items[{i}].item_id",
                    Text("このプランの項目ではありません。", "Not an item of the plan."),
                    "unknown_item",
                )
            )
    if problems:
        raise InvalidInput(fields=problems)
    taken = await session.scalar(
        select(MonitoringRecord.id).where(
            MonitoringRecord.plan_id == plan.id, MonitoringRecord.due_on == data.due_on
        )
    )
    if taken is not None:  # the unique key holds it at the same moment too (409 concurrent-write)
        raise AlreadyMonitored()
    record = MonitoringRecord(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        plan_id=plan.id,
        due_on=data.due_on,
        monitored_on=data.monitored_on,
        items=[item.model_dump(mode="json") for item in data.items],
        recorded_by=actor,
        recorded_at=now,
    )
    session.add(record)
    await session.flush()
    return record


async def records_of(*, session: AsyncSession, case_id: str) -> list[MonitoringRecord]:
    if await session.get(Case, case_id) is None:
        raise CaseNotFound()
    rows = await session.scalars(
        select(MonitoringRecord).where(MonitoringRecord.case_id == case_id).order_by(MonitoringRecord.due_on)
    )
    return list(rows.all())


@dataclass(frozen=True)
class PlanInForce:
    """A confirmed plan of an active case's current cycle: what the due lists need of the two."""

    case_id: str
    case_number: str
    tenant_id: str
    lead_coordinator: str | None
    plan_id: str
    monitoring_dates: list[str]


async def _plans_in_force(session: AsyncSession, lead: str | None) -> list[PlanInForce]:
    # The columns the lists need, not the two whole records (a case carries the person).
    query = (
        select(
            Case.id,
            Case.case_number,
            Case.tenant_id,
            Case.lead_coordinator,
            SupportPlan.id.label("plan_id"),
            SupportPlan.monitoring_dates,
        )
        .join(SupportPlan, SupportPlan.case_id == Case.id)
        .where(
            SupportPlan.status == PlanStatus.confirmed.value,
            SupportPlan.cycle == Case.cycle,
            Case.status.in_([s.value for s in ACTIVE]),
        )
    )
    if lead is not None:
        query = query.where(Case.lead_coordinator == lead)
    return [
        PlanInForce(
            case_id=row.id,
            case_number=row.case_number,
            tenant_id=row.tenant_id,
            lead_coordinator=row.lead_coordinator,
            plan_id=row.plan_id,
            monitoring_dates=row.monitoring_dates,
        )
        for row in await session.execute(query)
    ]


async def recorded_dates(session: AsyncSession, plan_ids: list[str]) -> dict[str, list[date]]:
    rows = await session.execute(
        select(MonitoringRecord.plan_id, MonitoringRecord.due_on).where(
            MonitoringRecord.plan_id.in_(plan_ids)
        )
    )
    recorded: dict[str, list[date]] = {}
    for plan_id, due_on in rows.all():
        recorded.setdefault(plan_id, []).append(due_on)
    return recorded


async def due(*, session: AsyncSession, lead: str | None, today: date) -> list[MonitoringDue]:
    """What is due and overdue: a coordinator's own cases, or (lead None) the whole municipality."""
    plans = await _plans_in_force(session, lead)
    recorded = await recorded_dates(session, [plan.plan_id for plan in plans])
    listed = [
        MonitoringDue(
            case_id=plan.case_id,
            case_number=plan.case_number,
            plan_id=plan.plan_id,
            lead_coordinator=plan.lead_coordinator,
            due_on=d.due_on,
            overdue=d.overdue,
        )
        for plan in plans
        for d in due_dates(
            (date.fromisoformat(x) for x in plan.monitoring_dates),
            recorded.get(plan.plan_id, []),
            today=today,
        )
    ]
    return sorted(listed, key=lambda m: (m.due_on, m.case_number))


async def notice_overdue(db: Database, now: datetime) -> int:
    """The scheduled sweep: every monitoring date that passed unrecorded gets its notice and its
    MonitoringOverdue event, once: the notice's unique key decides, in every replica at once."""
    today = now.astimezone(JST).date()
    sent = 0
    async with db.transaction() as session:
        plans = await _plans_in_force(session, None)
        recorded = await recorded_dates(session, [plan.plan_id for plan in plans])
        notices = OverdueNotice.__table__
        for plan in plans:
            for d in due_dates(
                (date.fromisoformat(x) for x in plan.monitoring_dates),
                recorded.get(plan.plan_id, []),
                today=today,
            ):
                if not d.overdue:
                    continue
                inserted = await session.execute(
                    upsert(
                        session,
                        notices,
                        {
                            "id": new_id(),
                            "tenant_id": plan.tenant_id,
                            "case_id": plan.case_id,
                            "plan_id": plan.plan_id,
                            "due_on": d.due_on,
                            "noticed_at": now,
                        },
                        key=["plan_id", "due_on"],
                        changes=None,
                    ).returning(notices.c.id)
                )
                if inserted.first() is None:
                    continue  # noticed before (or by another replica just now)
                await emit(
                    session,
                    messaging,
                    MonitoringOverdue(
                        case_id=plan.case_id,
                        plan_id=plan.plan_id,
                        tenant_id=plan.tenant_id,
                        due_on=d.due_on,
                        noticed_at=now,
                    ),
                )
                sent += 1
    return sent
