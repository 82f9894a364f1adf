"""HTTP for support-meeting (支援会議) records: members only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.access import CoordinationAccess, audit, authorize
from services.coordination.db import audit_log, idempotency_keys
from services.coordination.deps import CoordinationDb
from services.coordination.support_meetings import service
from services.coordination.support_meetings.schemas import SupportMeetingCreate, SupportMeetingOut
from shared.db import utcnow
from shared.pagination import MAX_LIMIT
from shared.writes import Created, create_once

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
async def convene_support_meeting(
    body: SupportMeetingCreate, db: CoordinationDb, access: CoordinationAccess, request: Request
) -> Response:
    async def work(session: AsyncSession) -> Created:
        meeting = await service.record_support_meeting(
            session=session,
            tenant_id=access.caller.tenant_id,
            convened_by=access.caller.organisation_id,
            data=body,
            now=utcnow(),
        )
        await audit(session, access, meeting.id)
        return Created(SupportMeetingOut.model_validate(meeting), f"{router.prefix}/{meeting.id}")

    return await create_once(
        request,
        db=db,
        table=idempotency_keys,
        access=access,
        work=work,
        audit_table=audit_log,
    )


@router.get(
    "/{meeting_id}",
    response_model=SupportMeetingOut,
    operation_id="getSupportMeeting",
    summary="A support meeting's record (members only)",
)
async def get_support_meeting(
    meeting_id: str, db: CoordinationDb, access: CoordinationAccess
) -> SupportMeetingOut:
    async with db.transaction(scope=access.scope) as session:
        meeting = await service.get_support_meeting(session=session, meeting_id=meeting_id)
        await audit(session, access, meeting.id)
        (shown,) = await service.as_shown(session=session, meetings=[meeting])
        return shown


@router.get(
    "",
    response_model=list[SupportMeetingOut],
    operation_id="listSupportMeetings",
    summary="Support meetings the caller's organisation is a member of",
)
async def list_support_meetings(
    db: CoordinationDb, access: CoordinationAccess, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50
) -> list[SupportMeetingOut]:
    async with db.transaction(scope=access.scope) as session:
        meetings = await service.list_support_meetings(session=session, limit=limit)
        await audit(session, access)
        return await service.as_shown(session=session, meetings=meetings)
