"""HTTP for intake's fiscal-year figures (the convention: shared/figures.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from services.intake.access import authorize
from services.intake.deps import IntakeWork
from services.intake.figures import service
from shared.figures import EncodingParam, Figures, FiscalYear, FiscalYearParam, FormatParam, answer

router = APIRouter(prefix="/intake/v1", tags=["figures"], dependencies=[Depends(authorize)])


@router.get(
    "/figures",
    response_model=Figures,
    operation_id="getIntakeFigures",
    summary="年度の実績: consultations per window, field and channel; referrals and their answers",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def get_figures(
    work: IntakeWork,
    fiscal_year: FiscalYearParam,
    format: FormatParam = "json",
    encoding: EncodingParam = "utf-8-sig",
) -> Figures | Response:
    async with work.transaction() as session:
        figures = await service.figures(
            session=session, tenant_id=work.access.caller.tenant_id, year=FiscalYear(fiscal_year)
        )
    return answer(figures, format, encoding)
