"""HTTP for cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from services.coordination.access import authorize
from services.coordination.cases import closing, service, timeline
from services.coordination.cases.rules import CaseStatus
from services.coordination.cases.schemas import (
    AssignmentIn,
    AssignmentOut,
    CaseAnswer,
    CaseListItem,
    CaseOut,
    CasePartyOut,
)
from services.coordination.cases.timeline import TimelineEntry
from services.coordination.cases.views import shown_case
from services.coordination.deps import CoordinationWork
from services.coordination.progress_notes.schemas import ReopeningIn, SuspensionIn, TerminationIn
from shared.db import utcnow
from shared.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page

router = APIRouter(prefix="/coordination/v1/cases", tags=["cases"], dependencies=[Depends(authorize)])


@router.get(
    "/{case_id}",
    response_model=CaseOut | CasePartyOut,
    operation_id="getCase",
    summary="Get one case (organisations taking part see fewer fields)",
)
async def get_case(case_id: str, work: CoordinationWork) -> CaseOut | CasePartyOut:
    async with work.transaction() as session:
        case = await service.get_case(session=session, case_id=case_id)
        work.etag(case)
        return await shown_case(session, case, work.access)


@router.get(
    "", response_model=Page[CaseListItem], operation_id="listCases", summary="List cases, newest first"
)
async def list_cases(
    work: CoordinationWork,
    status: CaseStatus | None = None,
    window_code: Annotated[str | None, Query(max_length=120)] = None,
    urgency: Annotated[str | None, Query(pattern=r"^(normal|high|emergency)$")] = None,
    consultation_id: Annotated[str | None, Query(max_length=36)] = None,
    referral_id: Annotated[str | None, Query(max_length=36)] = None,
    opened_from: AwareDatetime | None = None,
    opened_to: AwareDatetime | None = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
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
    async with work.transaction() as session:
        rows, next_cursor = await service.list_cases(
            session=session, filters=filters, cursor=cursor, limit=limit
        )
    return Page(items=[CaseListItem.model_validate(r) for r in rows], next_cursor=next_cursor)


async def _answer(
    case_id: str, answer: CaseStatus, body: CaseAnswer, work: CoordinationWork
) -> CaseOut | CasePartyOut:
    async with work.transaction() as session:
        case = await service.get_case(session=session, case_id=case_id)
        work.check(case)
        await service.answer_referral(
            session=session, case=case, answer=answer, reason=body.reason, now=utcnow()
        )
        return await shown_case(session, case, work.access)


@router.post(
    "/{case_id}/decline",
    response_model=CaseOut | CasePartyOut,
    operation_id="declineCase",
    summary="Decline the referral (the window sees 'declined' and the reason); needs If-Match",
)
async def decline_case(case_id: str, body: CaseAnswer, work: CoordinationWork) -> CaseOut | CasePartyOut:
    return await _answer(case_id, CaseStatus.declined, body, work)


@router.post(
    "/{case_id}/return",
    response_model=CaseOut | CasePartyOut,
    operation_id="returnCase",
    summary="Return the referral to the window with a reason; needs If-Match",
)
async def return_case(case_id: str, body: CaseAnswer, work: CoordinationWork) -> CaseOut | CasePartyOut:
    return await _answer(case_id, CaseStatus.returned, body, work)


@router.post(
    "/{case_id}/termination",
    response_model=CaseOut | CasePartyOut,
    operation_id="terminateCase",
    summary="終結: end support as a termination meeting judged it; needs If-Match (emits CaseTerminated)",
    description="Goal attainment per goal and the follow-up needs, with who follows them up.",
)
async def terminate_case(case_id: str, body: TerminationIn, work: CoordinationWork) -> CaseOut | CasePartyOut:
    async with work.transaction() as session:
        case = await service.get_case(session=session, case_id=case_id)
        work.check(case)
        await closing.terminate(
            session=session, case=case, data=body, actor=work.access.caller.subject, now=utcnow()
        )
        return await shown_case(session, case, work.access)


@router.post(
    "/{case_id}/suspension",
    response_model=CaseOut | CasePartyOut,
    operation_id="suspendCase",
    summary="中断: suspend support when all contact is lost; needs If-Match (emits CaseSuspended)",
    description=(
        "Only with contact attempts recorded as progress notes (kind contact_attempt) since the person "
        "was last reached, and a suspension meeting's decision."
    ),
)
async def suspend_case(case_id: str, body: SuspensionIn, work: CoordinationWork) -> CaseOut | CasePartyOut:
    async with work.transaction() as session:
        case = await service.get_case(session=session, case_id=case_id)
        work.check(case)
        await closing.suspend(
            session=session, case=case, data=body, actor=work.access.caller.subject, now=utcnow()
        )
        return await shown_case(session, case, work.access)


@router.post(
    "/{case_id}/reopening",
    response_model=CaseOut | CasePartyOut,
    operation_id="reopenCase",
    summary="再開: a terminated or suspended case starts a new plan cycle; If-Match (emits CaseReopened)",
)
async def reopen_case(case_id: str, body: ReopeningIn, work: CoordinationWork) -> CaseOut | CasePartyOut:
    async with work.transaction() as session:
        case = await service.get_case(session=session, case_id=case_id)
        work.check(case)
        await closing.reopen(
            session=session, case=case, data=body, actor=work.access.caller.subject, now=utcnow()
        )
        return await shown_case(session, case, work.access)


@router.post(
    "/{case_id}/assignment",
    response_model=CaseOut | CasePartyOut,
    operation_id="assignCase",
    summary="担当の割当: assign or reassign the lead coordinator (kept); If-Match (emits CaseAssigned)",
)
async def assign_case(case_id: str, body: AssignmentIn, work: CoordinationWork) -> CaseOut | CasePartyOut:
    async with work.transaction() as session:
        case = await service.get_case(session=session, case_id=case_id)
        work.check(case)
        await service.assign(
            session=session,
            case=case,
            coordinator=body.coordinator,
            name=body.coordinator_name,
            actor=work.access.caller.subject,
            now=utcnow(),
        )
        return await shown_case(session, case, work.access)


@router.get(
    "/{case_id}/assignments",
    response_model=list[AssignmentOut],
    operation_id="listCaseAssignments",
    summary="Who led the case when",
)
async def list_assignments(case_id: str, work: CoordinationWork) -> list[AssignmentOut]:
    async with work.transaction() as session:
        await service.get_case(session=session, case_id=case_id)
        return [
            AssignmentOut.model_validate(a)
            for a in await service.assignments_of(session=session, case_id=case_id)
        ]


@router.get(
    "/{case_id}/timeline",
    response_model=list[TimelineEntry],
    operation_id="getCaseTimeline",
    summary="The case's history: notes, assignments, assessments, plans, meetings and state changes in order",
)
async def get_timeline(case_id: str, work: CoordinationWork) -> list[TimelineEntry]:
    async with work.transaction() as session:
        return await timeline.timeline(session=session, case_id=case_id)
