"""HTTP for assessments (アセスメント)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.coordination.access import authorize
from services.coordination.assessments import service
from services.coordination.assessments.schemas import AssessmentIn, AssessmentOut
from services.coordination.cases.rules import JST
from services.coordination.deps import CoordinationWork
from shared.db import utcnow

router = APIRouter(prefix="/coordination/v1/cases", tags=["assessments"], dependencies=[Depends(authorize)])


@router.post(
    "/{case_id}/assessments",
    status_code=201,
    response_model=AssessmentOut,
    operation_id="recordAssessment",
    summary="アセスメント: record the case's next assessment (earlier ones stay as they were)",
)
async def record_assessment(case_id: str, body: AssessmentIn, work: CoordinationWork) -> Response:
    now = utcnow()
    async with work.transaction() as session:
        assessment = await service.record_assessment(
            session=session,
            case_id=case_id,
            data=body,
            actor=work.access.caller.subject,
            now=now,
            today=now.astimezone(JST).date(),
        )
        return work.created(
            service.to_out(assessment), location=f"{router.prefix}/{case_id}/assessments/{assessment.number}"
        )


@router.get(
    "/{case_id}/assessments",
    response_model=list[AssessmentOut],
    operation_id="listAssessments",
    summary="Every assessment of the case, first to latest",
)
async def list_assessments(case_id: str, work: CoordinationWork) -> list[AssessmentOut]:
    async with work.transaction() as session:
        return [service.to_out(a) for a in await service.assessments_of(session=session, case_id=case_id)]
