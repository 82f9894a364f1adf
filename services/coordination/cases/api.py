"""HTTP for cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from services.coordination.access import CoordinationAccess, audit, authorize
from services.coordination.cases import service
from services.coordination.cases.rules import CaseStatus
from services.coordination.cases.schemas import CaseAnswer, CaseListItem, CaseOut, CasePartyOut
from services.coordination.cases.views import case_view
from services.coordination.deps import CoordinationDb
from shared.db import utcnow
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from shared.writes import IfMatch, etag_of, require_if_match

router = APIRouter(prefix="/coordination/v1/cases", tags=["cases"], dependencies=[Depends(authorize)])


@router.get(
    "/{case_id}",
    response_model=CaseOut | CasePartyOut,
    operation_id="getCase",
    summary="Get one case (organisations taking part see fewer fields)",
)
async def get_case(
    case_id: str, db: CoordinationDb, access: CoordinationAccess, response: Response
) -> CaseOut | CasePartyOut:
    async with db.transaction(scope=access.scope) as session:
        case = await service.get_case(session=session, case_id=case_id)
        await audit(session, access, case.id)
    response.headers["ETag"] = etag_of(case.id, case.version)
    return case_view(case, access)


@router.get(
    "", response_model=Page[CaseListItem], operation_id="listCases", summary="List cases, newest first"
)
async def list_cases(
    db: CoordinationDb,
    access: CoordinationAccess,
    status: CaseStatus | None = None,
    window_code: Annotated[str | None, Query(max_length=120)] = None,
    urgency: Annotated[str | None, Query(pattern=r"^(normal|high|emergency)$")] = None,
    consultation_id: Annotated[str | None, Query(max_length=36)] = None,
    referral_id: Annotated[str | None, Query(max_length=36)] = None,
    opened_from: AwareDatetime | None = None,
    opened_to: AwareDatetime | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[CaseListItem]:
    filters = service.CaseFilters(
        status=status.value if status else None,
        window_code=window_code,
        urgency=urgency,
        consultation_id=consultation_id,
        referral_id=referral_id,
        opened_from=opened_from,
        opened_to=opened_to,
    )
    async with db.transaction(scope=access.scope) as session:
        rows, next_cursor = await service.list_cases(
            session=session, filters=filters, cursor=cursor, limit=limit
        )
        await audit(session, access)
    return Page(items=[CaseListItem.model_validate(r) for r in rows], next_cursor=next_cursor)


async def _answer(
    case_id: str,
    answer: CaseStatus,
    body: CaseAnswer,
    db: CoordinationDb,
    access: CoordinationAccess,
    request: Request,
    response: Response,
) -> CaseOut | CasePartyOut:
    async with db.transaction(scope=access.scope) as session:
        case = await service.get_case(session=session, case_id=case_id)
        require_if_match(request, case.id, case.version)
        case = await service.answer_referral(
            session=session, case_id=case_id, answer=answer, reason=body.reason, now=utcnow()
        )
        await audit(session, access, case.id)
    response.headers["ETag"] = etag_of(case.id, case.version)
    return case_view(case, access)


@router.post(
    "/{case_id}/decline",
    response_model=CaseOut | CasePartyOut,
    operation_id="declineCase",
    summary="Decline the referral (the window sees 'declined' and the reason); needs If-Match",
)
async def decline_case(
    case_id: str,
    body: CaseAnswer,
    db: CoordinationDb,
    access: CoordinationAccess,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> CaseOut | CasePartyOut:
    return await _answer(case_id, CaseStatus.declined, body, db, access, request, response)


@router.post(
    "/{case_id}/return",
    response_model=CaseOut | CasePartyOut,
    operation_id="returnCase",
    summary="Return the referral to the window with a reason; needs If-Match",
)
async def return_case(
    case_id: str,
    body: CaseAnswer,
    db: CoordinationDb,
    access: CoordinationAccess,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> CaseOut | CasePartyOut:
    return await _answer(case_id, CaseStatus.returned, body, db, access, request, response)
