"""HTTP for monitoring (モニタリング)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from services.coordination.access import authorize
from services.coordination.cases.rules import JST
from services.coordination.deps import CoordinationWork
from services.coordination.monitoring import service
from services.coordination.monitoring.schemas import MonitoringDue, MonitoringIn, MonitoringOut
from shared.db import utcnow

router = APIRouter(prefix="/coordination/v1", tags=["monitoring"], dependencies=[Depends(authorize)])


@router.post(
    "/cases/{case_id}/monitoring",
    status_code=201,
    response_model=MonitoringOut,
    operation_id="recordMonitoring",
    summary="モニタリングの記録: per item done / partly / not done, the person's view, the next step",
    description="Answers one of the monitoring dates of the plan in force; each date is recorded once.",
)
async def record_monitoring(case_id: str, body: MonitoringIn, work: CoordinationWork) -> Response:
    now = utcnow()
    async with work.transaction() as session:
        record = await service.record_monitoring(
            session=session,
            case_id=case_id,
            data=body,
            actor=work.access.caller.subject,
            now=now,
            today=now.astimezone(JST).date(),
        )
        return work.created(
            MonitoringOut.model_validate(record),
            location=f"{router.prefix}/cases/{case_id}/monitoring/{record.id}",
        )


@router.get(
    "/cases/{case_id}/monitoring",
    response_model=list[MonitoringOut],
    operation_id="listMonitoringRecords",
    summary="The case's monitoring records, by planned date",
)
async def list_records(case_id: str, work: CoordinationWork) -> list[MonitoringOut]:
    async with work.transaction() as session:
        return [
            MonitoringOut.model_validate(r)
            for r in await service.records_of(session=session, case_id=case_id)
        ]


@router.get(
    "/monitoring-due",
    response_model=list[MonitoringDue],
    operation_id="listMonitoringDue",
    summary="Monitoring due and overdue: my cases as lead coordinator, or the whole municipality",
)
async def list_due(
    work: CoordinationWork,
    mine: bool = Query(default=True, description="false: every case of the municipality"),
) -> list[MonitoringDue]:
    async with work.transaction() as session:
        return await service.due(
            session=session,
            lead=work.access.caller.subject if mine else None,
            today=utcnow().astimezone(JST).date(),
        )
