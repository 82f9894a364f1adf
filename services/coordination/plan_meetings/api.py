"""HTTP for plan meetings (重層的支援会議)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.coordination.access import authorize
from services.coordination.cases.rules import JST
from services.coordination.deps import CoordinationWork
from services.coordination.plan_meetings import service
from services.coordination.plan_meetings.schemas import PlanMeetingIn, PlanMeetingOut
from shared.db import utcnow

router = APIRouter(
    prefix="/coordination/v1/plan-meetings", tags=["plan meetings"], dependencies=[Depends(authorize)]
)


@router.post(
    "",
    status_code=201,
    response_model=PlanMeetingOut,
    operation_id="recordPlanMeeting",
    summary="重層的支援会議の記録: members, minutes and what was decided per case",
    description=(
        "The municipality is a member of every plan meeting; a plan discussed with outreach or "
        "participation items needs the organisations responsible for them among the members."
    ),
)
async def record_plan_meeting(body: PlanMeetingIn, work: CoordinationWork) -> Response:
    now = utcnow()
    caller = work.access.caller
    async with work.transaction() as session:
        meeting, _ = await service.record_plan_meeting(
            session=session,
            tenant_id=caller.tenant_id,
            convened_by=caller.organisation_id,
            data=body,
            actor=caller.subject,
            now=now,
            today=now.astimezone(JST).date(),
        )
        (out,) = await service.shown(session=session, meetings=[meeting])
        return work.created(out, location=f"{router.prefix}/{meeting.id}")


@router.get(
    "/{meeting_id}", response_model=PlanMeetingOut, operation_id="getPlanMeeting", summary="One plan meeting"
)
async def get_plan_meeting(meeting_id: str, work: CoordinationWork) -> PlanMeetingOut:
    async with work.transaction() as session:
        meeting = await service.get_plan_meeting(session=session, meeting_id=meeting_id)
        (out,) = await service.shown(session=session, meetings=[meeting])
        return out
