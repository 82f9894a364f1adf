"""HTTP for support-meeting (支援会議) records: their material for member persons who accepted the
duty of confidentiality only.

- The list shows every meeting the caller's organisation is a member of, so that a member person can
  find the meetings they still have to accept; a meeting's material is left out (null, with
  `material_shown: false`) until the caller accepted the duty for it.
- `getSupportMeeting` answers 403 `support-meeting-confidentiality-not-accepted` to a member person
  who has not accepted yet (the problem names where to accept), and 403
  `support-meeting-not-a-member-person` to other staff of a member organisation; a non-member
  organisation gets 404, as for a record that does not exist.
- The recording officer accepts by recording: the acceptance is stored with the record.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from services.coordination.access import authorize
from services.coordination.cases.service import get_case
from services.coordination.deps import CoordinationWork
from services.coordination.support_meetings import service
from services.coordination.support_meetings.schemas import (
    AcceptanceIn,
    AcceptanceOut,
    SupportMeetingCreate,
    SupportMeetingLinkOut,
    SupportMeetingOut,
)
from shared.db import utcnow
from shared.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page
from shared.work import UnitOfWork

router = APIRouter(prefix=service.PREFIX, tags=["support meetings"], dependencies=[Depends(authorize)])
case_links_router = APIRouter(
    prefix="/coordination/v1/cases", tags=["support meetings"], dependencies=[Depends(authorize)]
)

NOT_SHOWN: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a member person of the meeting, or one who has not accepted the duty."}
}


def _viewer(work: UnitOfWork) -> service.Viewer:
    caller = work.access.caller
    return service.Viewer(organisation_id=caller.organisation_id, subject=caller.subject)


@router.post(
    "",
    status_code=201,
    response_model=SupportMeetingOut,
    operation_id="conveneSupportMeeting",
    summary="支援会議の記録: record a support meeting (convened by the municipality)",
    description=(
        "Members are the persons attending, each for an organisation of the municipality listed in "
        "the resource directory. The recording officer is a member person of the convening "
        "organisation whether listed or not, and accepts the duty of confidentiality by recording."
    ),
)
async def convene_support_meeting(body: SupportMeetingCreate, work: CoordinationWork) -> Response:
    caller = work.access.caller
    async with work.transaction() as session:
        meeting = await service.record_support_meeting(
            session=session,
            tenant_id=caller.tenant_id,
            convened_by=caller.organisation_id,
            recorded_by=caller.subject,
            data=body,
            now=utcnow(),
        )
        (out,) = await service.as_shown(session=session, meetings=[meeting], viewer=_viewer(work))
        return work.created(out, location=f"{router.prefix}/{meeting.id}")


@router.post(
    "/{meeting_id}/confidentiality-acceptances",
    status_code=201,
    response_model=AcceptanceOut,
    operation_id="acceptSupportMeetingConfidentiality",
    summary="守秘義務の受諾: the calling member person accepts the duty of confidentiality (Art. 106-6)",
    description="Once per meeting and person: accepting again answers the first acceptance.",
    responses=NOT_SHOWN,
)
async def accept_confidentiality(meeting_id: str, body: AcceptanceIn, work: CoordinationWork) -> Response:
    async with work.transaction() as session:
        meeting = await service.get_support_meeting(session=session, meeting_id=meeting_id)
        accepted = await service.accept_confidentiality(
            session=session, meeting=meeting, viewer=_viewer(work), data=body, now=utcnow()
        )
        return work.created(accepted, location=f"{router.prefix}/{meeting.id}")


@router.get(
    "/{meeting_id}",
    response_model=SupportMeetingOut,
    operation_id="getSupportMeeting",
    summary="A support meeting's record (member persons who accepted the duty of confidentiality)",
    responses=NOT_SHOWN,
)
async def get_support_meeting(meeting_id: str, work: CoordinationWork) -> SupportMeetingOut:
    async with work.transaction() as session:
        return await service.get_shown_meeting(session=session, meeting_id=meeting_id, viewer=_viewer(work))


@router.get(
    "",
    response_model=Page[SupportMeetingOut],
    operation_id="listSupportMeetings",
    summary="Support meetings the caller's organisation is a member of, most recently held first",
    description="A meeting's material is shown only once the caller accepted its duty of confidentiality.",
)
async def list_support_meetings(
    work: CoordinationWork, cursor: CursorParam = None, limit: LimitParam = DEFAULT_LIMIT
) -> Page[SupportMeetingOut]:
    async with work.transaction() as session:
        meetings, next_cursor = await service.list_support_meetings(
            session=session, cursor=cursor, limit=limit
        )
        items = await service.as_shown(session=session, meetings=meetings, viewer=_viewer(work))
        return Page(items=items, next_cursor=next_cursor)


@case_links_router.get(
    "/{case_id}/support-meeting-links",
    response_model=list[SupportMeetingLinkOut],
    operation_id="listSupportMeetingLinksOfCase",
    summary="Support meetings that preceded the case: ids only, never their material",
    description=(
        "For the coordinators and the municipality (the tenant's case readers): a case that grew out "
        "of a support meeting says so, so the coordinator knows to ask the meeting's members, with "
        "the consent now given, what may be shared. The material stays with the meeting's member "
        "persons (getSupportMeeting), and the organisations taking part in the case see not even "
        "the link: that a person was discussed without consent is itself confidential."
    ),
)
async def list_support_meeting_links(case_id: str, work: CoordinationWork) -> list[SupportMeetingLinkOut]:
    async with work.transaction() as session:
        case = await get_case(session=session, case_id=case_id)
        return await service.links_of_case(session=session, case_id=case.id)
