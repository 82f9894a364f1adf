"""Use cases of assessments: record the next one of a case, read them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.assessments.models import Assessment
from services.coordination.assessments.schemas import AssessmentIn, AssessmentOut
from services.coordination.cases.models import Case
from services.coordination.cases.service import CaseNotFound
from services.coordination.organisations import service as organisations
from services.coordination.plan_meetings.rules import organisation_problem
from shared.db import new_id
from shared.errors import FieldProblem, InvalidInput, Text


async def record_assessment(
    *, session: AsyncSession, case_id: str, data: AssessmentIn, actor: str, now: datetime, today: date
) -> Assessment:
    # The case row orders its assessments' numbers (two at once: one waits, then takes the next).
    case = await session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise CaseNotFound()
    problems: list[FieldProblem] = []
    if data.assessed_on > today:
        problems.append(FieldProblem("assessed_on", Text("未来の日付です。", "In the future."), "in_future"))
    named = [s.organisation_id for s in data.sources if s.organisation_id]
    known = await organisations.tenants_of(session=session, organisation_ids=named)
    for i, source in enumerate(data.sources):
        if source.organisation_id is not None:
            problem = organisation_problem(
                f"sources[{i}].organisation_id", source.organisation_id, known, case.tenant_id
            )
            if problem is not None:
                problems.append(problem)
    if problems:
        raise InvalidInput(fields=problems)
    number = (
        await session.scalar(
            select(func.max(Assessment.number)).select_from(Assessment).where(Assessment.case_id == case.id)
        )
    ) or 0
    assessment = Assessment(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        number=number + 1,
        assessed_on=data.assessed_on,
        content=data.model_dump(mode="json", exclude={"assessed_on"}),
        assessed_by=actor,
        recorded_at=now,
    )
    session.add(assessment)
    await session.flush()
    return assessment


async def assessments_of(*, session: AsyncSession, case_id: str) -> list[Assessment]:
    if await session.get(Case, case_id) is None:
        raise CaseNotFound()
    rows = await session.scalars(
        select(Assessment).where(Assessment.case_id == case_id).order_by(Assessment.number)
    )
    return list(rows.all())


def to_out(assessment: Assessment) -> AssessmentOut:
    return AssessmentOut.model_validate(
        {
            **assessment.content,
            "assessed_on": assessment.assessed_on,
            "id": assessment.id,
            "case_id": assessment.case_id,
            "number": assessment.number,
            "assessed_by": assessment.assessed_by,
            "recorded_at": assessment.recorded_at,
        }
    )
