"""Coordination's fiscal-year figures (seed 003 §6's table and more), by the date things happened."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.plan_meetings.models import PlanMeeting, PlanMeetingDecision
from services.coordination.plan_meetings.rules import MeetingPurpose
from services.coordination.plans.models import SupportPlan
from services.coordination.progress_notes.models import CaseStateChange
from services.coordination.support_meetings.models import SupportMeeting
from shared.figures import FigureRow, Figures, FiscalYear

PURPOSE_LABELS = {
    MeetingPurpose.plan_evaluation: "重層的支援会議（プラン評価）",
    MeetingPurpose.re_plan: "重層的支援会議（再プラン）",
    MeetingPurpose.termination: "重層的支援会議（終結の判断）",
    MeetingPurpose.suspension: "重層的支援会議（中断の決定）",
}


async def figures(*, session: AsyncSession, tenant_id: str, year: FiscalYear) -> Figures:
    first, last = year.first_day, year.last_day
    rows: list[FigureRow] = []

    async def count(statement: object) -> int:
        return int(await session.scalar(statement) or 0)  # type: ignore[call-overload]

    rows.append(
        FigureRow(
            indicator="plan_meetings_held",
            label="重層的支援会議の開催回数",
            value=await count(
                select(func.count()).select_from(PlanMeeting).where(PlanMeeting.held_on.between(first, last))
            ),
        )
    )
    by_purpose = dict(
        (
            await session.execute(
                select(PlanMeetingDecision.purpose, func.count(distinct(PlanMeetingDecision.meeting_id)))
                .where(PlanMeetingDecision.held_on.between(first, last))
                .group_by(PlanMeetingDecision.purpose)
            )
        ).all()
    )
    for purpose, label in PURPOSE_LABELS.items():
        rows.append(
            FigureRow(
                indicator=f"plan_meetings_held.{purpose.value}",
                label=label,
                value=int(by_purpose.get(purpose.value, 0)),
            )
        )
    confirmed = SupportPlan.status.in_(("confirmed", "superseded"))
    made = (
        select(func.count())
        .select_from(SupportPlan)
        .where(confirmed, SupportPlan.drafted_on.between(first, last))
    )
    rows.append(
        FigureRow(indicator="plans_made", label="プラン作成数（確定したもの）", value=await count(made))
    )
    rows.append(
        FigureRow(
            indicator="plans_made.re_plan",
            label="うち再プラン",
            value=await count(made.where(SupportPlan.replaces_id.is_not(None))),
        )
    )
    moves = dict(
        (
            await session.execute(
                select(CaseStateChange.to_status, func.count())
                .where(CaseStateChange.occurred_on.between(first, last))
                .group_by(CaseStateChange.to_status)
            )
        ).all()
    )
    rows.append(FigureRow(indicator="terminations", label="終結件数", value=int(moves.get("terminated", 0))))
    rows.append(FigureRow(indicator="suspensions", label="中断件数", value=int(moves.get("suspended", 0))))
    rows.append(FigureRow(indicator="reopenings", label="再開件数", value=int(moves.get("open", 0))))
    rows.append(
        FigureRow(
            indicator="support_meetings_held",
            label="支援会議の開催回数",
            value=await count(
                select(func.count())
                .select_from(SupportMeeting)
                .where(SupportMeeting.held_on.between(first, last))
            ),
        )
    )
    in_year = Case.opened_at >= year.starts_at, Case.opened_at < year.ends_before
    rows.append(
        FigureRow(
            indicator="cases_opened",
            label="多機関協働事業で受け付けたケース数",
            value=await count(select(func.count()).select_from(Case).where(*in_year)),
        )
    )
    answered = dict(
        (
            await session.execute(
                select(Case.status, func.count())
                .where(
                    Case.status.in_(("declined", "returned")),
                    Case.closed_at >= year.starts_at,
                    Case.closed_at < year.ends_before,
                )
                .group_by(Case.status)
            )
        ).all()
    )
    rows.append(
        FigureRow(
            indicator="referrals_declined",
            label="つなぎを受けなかった件数",
            value=int(answered.get("declined", 0)),
        )
    )
    rows.append(
        FigureRow(
            indicator="referrals_returned",
            label="窓口へ差し戻した件数",
            value=int(answered.get("returned", 0)),
        )
    )
    return Figures(
        service="coordination",
        tenant_id=tenant_id,
        fiscal_year=year.year,
        fiscal_year_label=year.label,
        rows=rows,
    )
