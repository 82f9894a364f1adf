"""HTTP for the coordinator's work list."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from services.coordination.access import authorize
from services.coordination.cases import work_list
from services.coordination.cases.schemas import WorkItem
from services.coordination.deps import CoordinationWork

router = APIRouter(prefix="/coordination/v1", tags=["cases"], dependencies=[Depends(authorize)])


@router.get(
    "/work-list",
    response_model=list[WorkItem],
    operation_id="getMyWorkList",
    summary="My cases (as lead coordinator), their state and the next thing due, oldest due first",
)
async def get_work_list(work: CoordinationWork) -> list[WorkItem]:
    async with work.transaction() as session:
        return await work_list.work_list(session=session, coordinator=work.access.caller.subject)
