"""Coordination's fiscal-year figures (seed 003 §6's table and more), by the date things happened."""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, Date, Select, Subquery, bindparam, distinct, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.plan_meetings.models import PlanMeeting, PlanMeetingDecision
from services.coordination.plan_meetings.rules import MeetingPurpose
from services.coordination.plans.models import SupportPlan
from services.coordination.progress_notes.models import CaseStateChange
from services.coordination.support_meetings.models import SupportMeeting
from shared.db import UTCDateTime
from shared.figures import FigureRow, Figures, FiscalYear

PURPOSE_LABELS = {
    MeetingPurpose.plan_evaluation: "重層的支援会議（プラン評価）",
    MeetingPurpose.re_plan: "重層的支援会議（再プラン）",
    MeetingPurpose.termination: "重層的支援会議（終結の判断）",
    MeetingPurpose.suspension: "重層的支援会議（中断の決定）",
}


@functools.cache
def _statement() -> tuple[Select[Any], tuple[Subquery, ...]]:
    """The figures' one statement, built once: the year's bounds are bound when it runs."""
    first: BindParameter[date] = bindparam("first", type_=Date)
    last: BindParameter[date] = bindparam("last", type_=Date)
    starts_at: BindParameter[datetime] = bindparam("starts_at", type_=UTCDateTime)
    ends_before: BindParameter[datetime] = bindparam("ends_before", type_=UTCDateTime)
    # One statement: each table is read once, by an aggregate of one row, and the rows are put side
    # by side (a screen several coordinators open at once; eight statements otherwise). Each names
    # its model in select_from: tenant scoping applies to the FROM the ORM was given, not to one
    # inferred from the columns of an aggregate (tests/unit/test_data_scope.py).
    meetings = (
        select(func.count().label("held"))
        .select_from(PlanMeeting)
        .where(PlanMeeting.held_on.between(first, last))
        .subquery()
    )
    decisions = (
        select(
            *(
                func.count(distinct(PlanMeetingDecision.meeting_id))
                .filter(PlanMeetingDecision.purpose == purpose.value)
                .label(purpose.value)
                for purpose in PURPOSE_LABELS
            )
        )
        .select_from(PlanMeetingDecision)
        .where(PlanMeetingDecision.held_on.between(first, last))
        .subquery()
    )
    plans = (
        select(
            func.count().label("made"),
            func.count().filter(SupportPlan.replaces_id.is_not(None)).label("re_plan"),
        )
        .select_from(SupportPlan)
        .where(
            SupportPlan.status.in_(("confirmed", "superseded")), SupportPlan.drafted_on.between(first, last)
        )
        .subquery()
    )
    moves = (
        select(
            *(
                func.count().filter(CaseStateChange.to_status == status).label(status)
                for status in ("terminated", "suspended", "open")
            )
        )
        .select_from(CaseStateChange)
        .where(CaseStateChange.occurred_on.between(first, last))
        .subquery()
    )
    support_meetings = (
        select(func.count().label("held"))
        .select_from(SupportMeeting)
        .where(SupportMeeting.held_on.between(first, last))
        .subquery()
    )
    opened = (
        select(func.count().label("opened"))
        .select_from(Case)
        .where(Case.opened_at >= starts_at, Case.opened_at < ends_before)
        .subquery()
    )
    answered = (
        select(
            *(func.count().filter(Case.status == status).label(status) for status in ("declined", "returned"))
        )
        .select_from(Case)
        .where(
            Case.status.in_(("declined", "returned")),
            Case.closed_at >= starts_at,
            Case.closed_at < ends_before,
        )
        .subquery()
    )
    parts = (meetings, decisions, plans, moves, support_meetings, opened, answered)
    statement = select(*(column for part in parts for column in part.c)).select_from(meetings)
    for part in parts[1:]:
        statement = statement.join(part, true())
    return statement, parts


async def figures(*, session: AsyncSession, tenant_id: str, year: FiscalYear) -> Figures:
    statement, parts = _statement()
    bounds = {
        "first": year.first_day,
        "last": year.last_day,
        "starts_at": year.starts_at,
        "ends_before": year.ends_before,
    }
    row = (await session.execute(statement, bounds)).one()
    by_part = [list(row[i : i + len(part.c)]) for i, part in _offsets(parts)]
    held, by_purpose, made, moved, supported, cases_opened, declined_returned = by_part

    rows = [FigureRow(indicator="plan_meetings_held", label="重層的支援会議の開催回数", value=int(held[0]))]
    for (purpose, label), value in zip(PURPOSE_LABELS.items(), by_purpose, strict=True):
        rows.append(FigureRow(indicator=f"plan_meetings_held.{purpose.value}", label=label, value=int(value)))
    rows += [
        FigureRow(indicator="plans_made", label="プラン作成数（確定したもの）", value=int(made[0])),
        FigureRow(indicator="plans_made.re_plan", label="うち再プラン", value=int(made[1])),
        FigureRow(indicator="terminations", label="終結件数", value=int(moved[0])),
        FigureRow(indicator="suspensions", label="中断件数", value=int(moved[1])),
        FigureRow(indicator="reopenings", label="再開件数", value=int(moved[2])),
        FigureRow(indicator="support_meetings_held", label="支援会議の開催回数", value=int(supported[0])),
        FigureRow(
            indicator="cases_opened", label="多機関協働事業で受け付けたケース数", value=int(cases_opened[0])
        ),
        FigureRow(
            indicator="referrals_declined", label="つなぎを受けなかった件数", value=int(declined_returned[0])
        ),
        FigureRow(
            indicator="referrals_returned", label="窓口へ差し戻した件数", value=int(declined_returned[1])
        ),
    ]
    return Figures(
        service="coordination",
        tenant_id=tenant_id,
        fiscal_year=year.year,
        fiscal_year_label=year.label,
        rows=rows,
    )


def _offsets(parts: tuple[Subquery, ...]) -> list[tuple[int, Subquery]]:
    offsets, at = [], 0
    for part in parts:
        offsets.append((at, part))
        at += len(part.c)
    return offsets
