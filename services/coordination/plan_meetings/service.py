"""Use cases of plan meetings: record one with its decisions per case, read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.organisations import service as organisations
from services.coordination.plan_meetings.models import PlanMeeting, PlanMeetingDecision
from services.coordination.plan_meetings.rules import (
    MeetingPurpose,
    membership_problems,
    organisation_problem,
)
from services.coordination.plan_meetings.schemas import (
    DecisionIn,
    DecisionOut,
    MemberOut,
    PlanMeetingIn,
    PlanMeetingOut,
)
from services.coordination.plans.models import SupportPlan
from services.coordination.plans.rules import DECIDED_KINDS, ItemKind, PlanStatus
from shared.db import new_id
from shared.errors import FieldProblem, InvalidInput, NotFound, Text

PLAN_PURPOSES = (MeetingPurpose.plan_evaluation, MeetingPurpose.re_plan)


class PlanMeetingNotFound(NotFound):
    slug = "plan-meeting-not-found"
    title = Text("重層的支援会議の記録が見つかりません。", "Plan meeting not found.")


def _problem(field: str, ja: str, en: str, code: str) -> FieldProblem:
    return FieldProblem(field, Text(ja, en), code)


async def record_plan_meeting(
    *,
    session: AsyncSession,
    tenant_id: str,
    convened_by: str,
    data: PlanMeetingIn,
    actor: str,
    now: datetime,
    today: date,
) -> tuple[PlanMeeting, list[PlanMeetingDecision]]:
    members = list(dict.fromkeys(m.organisation_id for m in data.members))
    problems = await _member_problems(session, tenant_id, data, today)
    decisions: list[PlanMeetingDecision] = []
    municipality = await organisations.municipality_of(session=session, tenant_id=tenant_id)
    if municipality is None or municipality not in members:
        problems.append(
            _problem(
                "members",
                "町（市）はすべての重層的支援会議の構成員です。",
                "The municipality is a member of every plan meeting.",
                "municipality_missing",
            )
        )
    seen: set[tuple[str, str]] = set()
    for i, decision in enumerate(data.decisions):
        if (decision.case_id, decision.purpose.value) in seen:
            problems.append(
                _problem(f"decisions[{i}].case_id", "重複しています。", "Twice for this case.", "duplicate")
            )
        seen.add((decision.case_id, decision.purpose.value))
        row, found = await _decision(
            session, f"decisions[{i}]", decision, members, municipality, data.held_on
        )
        problems += found
        if row is not None:
            row.tenant_id = tenant_id
            decisions.append(row)
    if problems:
        raise InvalidInput(fields=problems)
    meeting = PlanMeeting(
        id=new_id(),
        tenant_id=tenant_id,
        convened_by=convened_by,
        held_on=data.held_on,
        members=[m.model_dump(mode="json") for m in data.members],
        member_index="|" + "|".join(members) + "|",
        person_attended=data.person_attended,
        agenda=data.agenda,
        minutes=data.minutes,
        recorded_by=actor,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    for decision_row in decisions:
        decision_row.meeting_id = meeting.id
        session.add(decision_row)
    await session.flush()
    return meeting, decisions


async def _decision(
    session: AsyncSession,
    field: str,
    decision: DecisionIn,
    members: list[str],
    municipality: str | None,
    held_on: date,
) -> tuple[PlanMeetingDecision | None, list[FieldProblem]]:
    """One case's decision: the case is the municipality's; a plan decision names the case's plan
    being drafted, whose outreach and participation operators are members."""
    case = await session.get(Case, decision.case_id)
    if case is None:
        return None, [
            _problem(f"{field}.case_id", "ケースが見つかりません。", "No such case.", "unknown_case")
        ]
    problems: list[FieldProblem] = []
    plan_version: int | None = None
    if decision.purpose in PLAN_PURPOSES:
        plan = await session.get(SupportPlan, decision.plan_id) if decision.plan_id else None
        if plan is None or plan.case_id != case.id:
            code = "missing" if decision.plan_id is None else "unknown_plan"
            return None, [
                _problem(
                    f"{field}.plan_id",
                    "このケースのプランを指定してください。",
                    "Name a plan of this case.",
                    code,
                )
            ]
        if plan.status != PlanStatus.drafting.value:
            problems.append(
                _problem(
                    f"{field}.plan_id",
                    "作成中のプランではありません。",
                    "Not a plan being drafted.",
                    "not_drafting",
                )
            )
        operators: dict[str, set[str]] = {}
        for item in plan.items:
            if ItemKind(item["kind"]) in DECIDED_KINDS:
                operators.setdefault(str(item["organisation_id"]), set()).add(str(item["kind"]))
        problems += [
            p
            for p in membership_problems(members, municipality=municipality or "", operators=operators)
            if p.code != "municipality_missing"  # said once for the meeting
        ]
        plan_version = plan.version
    elif decision.plan_id is not None:
        problems.append(
            _problem(
                f"{field}.plan_id",
                "終結・中断の判断にはプランを指定しません。",
                "A termination or suspension names no plan.",
                "not_expected",
            )
        )
    row = PlanMeetingDecision(
        id=new_id(),
        case_id=case.id,
        purpose=decision.purpose.value,
        plan_id=decision.plan_id if decision.purpose in PLAN_PURPOSES else None,
        plan_version=plan_version,
        approved=decision.approved,
        note=decision.note,
        held_on=held_on,
        member_index="|" + "|".join(members) + "|",
    )
    return row, problems


async def _member_problems(
    session: AsyncSession, tenant_id: str, data: PlanMeetingIn, today: date
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if data.held_on > today:
        problems.append(_problem("held_on", "まだ開かれていない日付です。", "In the future.", "in_future"))
    known = await organisations.tenants_of(
        session=session, organisation_ids=[m.organisation_id for m in data.members]
    )
    for i, member in enumerate(data.members):
        problem = organisation_problem(
            f"members[{i}].organisation_id", member.organisation_id, known, tenant_id
        )
        if problem is not None:
            problems.append(problem)
    return problems


async def get_plan_meeting(*, session: AsyncSession, meeting_id: str) -> PlanMeeting:
    meeting = await session.get(PlanMeeting, meeting_id)
    if meeting is None:
        raise PlanMeetingNotFound()
    return meeting


async def shown(*, session: AsyncSession, meetings: Sequence[PlanMeeting]) -> list[PlanMeetingOut]:
    ids = [m.id for m in meetings]
    rows = (
        await session.scalars(select(PlanMeetingDecision).where(PlanMeetingDecision.meeting_id.in_(ids)))
    ).all()
    return [
        PlanMeetingOut(
            id=m.id,
            tenant_id=m.tenant_id,
            convened_by=m.convened_by,
            held_on=m.held_on,
            members=[MemberOut.model_validate(x) for x in m.members],
            person_attended=m.person_attended,
            agenda=m.agenda,
            minutes=m.minutes,
            decisions=[
                DecisionOut(
                    case_id=d.case_id,
                    purpose=MeetingPurpose(d.purpose),
                    plan_id=d.plan_id,
                    plan_version=d.plan_version,
                    approved=d.approved,
                    note=d.note,
                )
                for d in rows
                if d.meeting_id == m.id
            ],
            recorded_by=m.recorded_by,
            created_at=m.created_at,
        )
        for m in meetings
    ]
