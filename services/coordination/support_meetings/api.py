"""HTTP for support-meeting (支援会議) records: members only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.coordination.access import authorize
from services.coordination.deps import CoordinationWork
from services.coordination.support_meetings import service
from services.coordination.support_meetings.schemas import SupportMeetingCreate, SupportMeetingOut
from shared.db import utcnow
from shared.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page

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
    response_model=Page[SupportMeetingOut],
    operation_id="listSupportMeetings",
    summary="Support meetings the caller's organisation is a member of, most recently held first",
)
async def list_support_meetings(
    work: CoordinationWork, cursor: CursorParam = None, limit: LimitParam = DEFAULT_LIMIT
) -> Page[SupportMeetingOut]:
    async with work.transaction() as session:
        meetings, next_cursor = await service.list_support_meetings(
            session=session, cursor=cursor, limit=limit
        )
        return Page(items=await service.as_shown(session=session, meetings=meetings), next_cursor=next_cursor)
