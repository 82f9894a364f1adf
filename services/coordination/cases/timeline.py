"""The case's timeline (the history print-out of 支援経過記録シート): progress notes merged with every
assignment, assessment, plan step, plan meeting decision and state change, in the order they
happened (by the day they happened, then by when they were recorded)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.assessments.models import Assessment
from services.coordination.cases.models import Case, CaseAssignment
from services.coordination.cases.rules import JST
from services.coordination.cases.service import CaseNotFound
from services.coordination.plan_meetings.models import PlanMeetingDecision
from services.coordination.plans.models import PlanApproval, SupportDecision, SupportPlan
from services.coordination.progress_notes.models import CaseStateChange, ProgressNote


class TimelineEntry(BaseModel):
    on: date = Field(description="The day it happened (Japan time).")
    at: datetime = Field(description="When it was recorded.")
    kind: str = Field(description="opened | note:<kind> | assigned | assessment | plan_drafted | …")
    summary: str
    ref: str | None = Field(description="The id of the record it comes from.")


RecordOfCase = TypeVar(
    "RecordOfCase",
    ProgressNote,
    CaseAssignment,
    Assessment,
    SupportPlan,
    PlanMeetingDecision,
    PlanApproval,
    SupportDecision,
    CaseStateChange,
)


def _day(at: datetime) -> date:
    return at.astimezone(JST).date()


async def _rows(session: AsyncSession, model: type[RecordOfCase], case: Case) -> list[RecordOfCase]:
    # Of the case's own tenant: a note reported by another tenant's event naming this id never shows.
    query = select(model).where(model.case_id == case.id, model.tenant_id == case.tenant_id)
    return list((await session.scalars(query)).all())


def _entry(on: date, at: datetime, kind: str, summary: str, ref: str | None) -> TimelineEntry:
    return TimelineEntry(on=on, at=at, kind=kind, summary=summary, ref=ref)


async def _notes_and_work(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    entries = [
        _entry(n.occurred_on, n.recorded_at, f"note:{n.kind}", n.summary, n.id)
        for n in await _rows(session, ProgressNote, case)
    ]
    entries += [
        _entry(_day(a.assigned_at), a.assigned_at, "assigned", a.coordinator_name, a.id)
        for a in await _rows(session, CaseAssignment, case)
    ]
    entries += [
        _entry(s.assessed_on, s.recorded_at, "assessment", f"アセスメント {s.number}", s.id)
        for s in await _rows(session, Assessment, case)
    ]
    entries += [
        _entry(c.occurred_on, c.recorded_at, f"state:{c.to_status}", c.reason or "", c.id)
        for c in await _rows(session, CaseStateChange, case)
    ]
    return entries


async def _plans_and_meetings(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for plan in await _rows(session, SupportPlan, case):
        label = f"{'再プラン' if plan.replaces_id else 'プラン'} {plan.number}"
        entries.append(_entry(plan.drafted_on, plan.created_at, "plan_drafted", label, plan.id))
        if plan.confirmed_at is not None:
            entries.append(
                _entry(_day(plan.confirmed_at), plan.confirmed_at, "plan_confirmed", label, plan.id)
            )
    entries += [
        # A meeting is dated by the day it was held; it sorts first among that day's records.
        _entry(
            d.held_on,
            datetime.combine(d.held_on, time.min, JST),
            f"meeting:{d.purpose}",
            "了承" if d.approved else "不承認",
            d.meeting_id,
        )
        for d in await _rows(session, PlanMeetingDecision, case)
    ]
    entries += [
        _entry(a.held_on, a.recorded_at, "plan_approved", f"v{a.plan_version}", a.plan_id)
        for a in await _rows(session, PlanApproval, case)
    ]
    entries += [
        _entry(
            d.decided_on,
            d.recorded_at,
            "support_decision",
            "支援決定" if d.confirmed else "差し戻し",
            d.plan_id,
        )
        for d in await _rows(session, SupportDecision, case)
    ]
    return entries


async def timeline(*, session: AsyncSession, case_id: str) -> list[TimelineEntry]:
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseNotFound()
    entries = [_entry(_day(case.opened_at), case.opened_at, "opened", case.case_number, case.id)]
    entries += await _notes_and_work(session, case)
    entries += await _plans_and_meetings(session, case)
    return sorted(entries, key=lambda e: (e.on, e.at))
