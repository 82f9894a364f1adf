"""HTTP for coordination's fiscal-year figures (the convention: shared/figures.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from services.coordination.access import authorize
from services.coordination.deps import CoordinationWork
from services.coordination.figures import service
from shared.figures import EncodingParam, Figures, FiscalYear, FiscalYearParam, FormatParam, answer

router = APIRouter(prefix="/coordination/v1", tags=["figures"], dependencies=[Depends(authorize)])


@router.get(
    "/figures",
    response_model=Figures,
    operation_id="getCoordinationFigures",
    summary="年度の実績: plan meetings by purpose, plans and re-plans, terminations, suspensions, …",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def get_figures(
    work: CoordinationWork,
    fiscal_year: FiscalYearParam,
    format: FormatParam = "json",
    encoding: EncodingParam = "utf-8-sig",
) -> Figures | Response:
    async with work.transaction() as session:
        figures = await service.figures(
            session=session, tenant_id=work.access.caller.tenant_id, year=FiscalYear(fiscal_year)
        )
    return answer(figures, format, encoding)
