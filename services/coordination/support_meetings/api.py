"""HTTP for support-meeting (支援会議) records: members only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.coordination.access import authorize
from services.coordination.deps import CoordinationWork
from services.coordination.support_meetings import service
from services.coordination.support_meetings.schemas import SupportMeetingCreate, SupportMeetingOut
from shared.db import utcnow
from shared.pagination import MAX_LIMIT

router = APIRouter(
    prefix="/coordination/v1/support-meetings", tags=["support meetings"], dependencies=[Depends(authorize)]
)


@router.post(
    "",
    status_code=201,
    response_model=SupportMeetingOut,
    operation_id="conveneSupportMeeting",
    summary="支援会議の記録: record a support meeting (convened by the municipality)",
)
async def convene_support_meeting(body: SupportMeetingCreate, work: CoordinationWork) -> Response:
    caller = work.access.caller
    async with work.transaction() as session:
        meeting = await service.record_support_meeting(
            session=session,
            tenant_id=caller.tenant_id,
            convened_by=caller.organisation_id,
            data=body,
            now=utcnow(),
        )
        return work.created(
            SupportMeetingOut.model_validate(meeting), location=f"{router.prefix}/{meeting.id}"
        )


@router.get(
    "/{meeting_id}",
    response_model=SupportMeetingOut,
    operation_id="getSupportMeeting",
    summary="A support meeting's record (members only)",
)
async def get_support_meeting(meeting_id: str, work: CoordinationWork) -> SupportMeetingOut:
    async with work.transaction() as session:
        meeting = await service.get_support_meeting(session=session, meeting_id=meeting_id)
        (shown,) = await service.as_shown(session=session, meetings=[meeting])
        return shown


@router.get(
    "",
    response_model=list[SupportMeetingOut],
    operation_id="listSupportMeetings",
    summary="Support meetings the caller's organisation is a member of",
)
async def list_support_meetings(
    work: CoordinationWork, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50
) -> list[SupportMeetingOut]:
    async with work.transaction() as session:
        meetings = await service.list_support_meetings(session=session, limit=limit)
        return await service.as_shown(session=session, meetings=meetings)
