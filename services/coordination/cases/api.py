"""HTTP for cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from services.coordination.cases import service
from services.coordination.cases.rules import CaseStatus
from services.coordination.cases.schemas import CaseAnswer, CaseListItem, CaseOut
from services.coordination.deps import CoordinationDb
from shared.db import utcnow
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(prefix="/coordination/v1/cases", tags=["cases"])


@router.get("/{case_id}", response_model=CaseOut, operation_id="getCase", summary="Get one case")
async def get_case(case_id: str, db: CoordinationDb) -> CaseOut:
    async with db.reading() as session:
        return CaseOut.model_validate(await service.get_case(session=session, case_id=case_id))


@router.get(
    "", response_model=Page[CaseListItem], operation_id="listCases", summary="List cases, newest first"
)
async def list_cases(
    db: CoordinationDb,
    tenant_id: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    status: CaseStatus | None = None,
    window_code: Annotated[str | None, Query(max_length=40)] = None,
    urgency: Annotated[str | None, Query(pattern=r"^(normal|high|emergency)$")] = None,
    consultation_id: Annotated[str | None, Query(max_length=36)] = None,
    referral_id: Annotated[str | None, Query(max_length=36)] = None,
    opened_from: AwareDatetime | None = None,
    opened_to: AwareDatetime | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[CaseListItem]:
    filters = service.CaseFilters(
        tenant_id=tenant_id,
        status=status.value if status else None,
        window_code=window_code,
        urgency=urgency,
        consultation_id=consultation_id,
        referral_id=referral_id,
        opened_from=opened_from,
        opened_to=opened_to,
    )
    async with db.reading() as session:
        return await service.list_cases(session=session, filters=filters, cursor=cursor, limit=limit)


@router.post(
    "/{case_id}/decline",
    response_model=CaseOut,
    operation_id="declineCase",
    summary="Decline the referral (the window sees 'declined' and the reason)",
)
async def decline_case(case_id: str, body: CaseAnswer, db: CoordinationDb) -> CaseOut:
    async with db.transaction() as session:
        case = await service.answer_referral(
            session=session, case_id=case_id, answer=CaseStatus.declined, reason=body.reason, now=utcnow()
        )
        return CaseOut.model_validate(case)


@router.post(
    "/{case_id}/return",
    response_model=CaseOut,
    operation_id="returnCase",
    summary="Return the referral to the window with a reason",
)
async def return_case(case_id: str, body: CaseAnswer, db: CoordinationDb) -> CaseOut:
    async with db.transaction() as session:
        case = await service.answer_referral(
            session=session, case_id=case_id, answer=CaseStatus.returned, reason=body.reason, now=utcnow()
        )
        return CaseOut.model_validate(case)
