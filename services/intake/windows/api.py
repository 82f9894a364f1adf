"""The windows intake accepts consultations for: its read model of the resource directory's windows."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.intake.access import authorize
from services.intake.deps import IntakeWork
from services.intake.windows.models import Window

router = APIRouter(prefix="/intake/v1/windows", tags=["windows"], dependencies=[Depends(authorize)])


class WindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="The directory's resource id, e.g. 016314-ranran.")
    tenant_id: str
    name: str
    field: str
    operator_name: str | None
    operator_id: str | None = Field(description="The operator's organisation: its staff's token `org`.")
    operation: str | None = Field(description="direct (直営) or commissioned (委託).")
    phone: str | None = Field(description="The main voice number as the plan writes it, e.g. 42-2111.")
    extension: str | None = Field(description="内線 of that number, e.g. 512.")
    catchment: str | None = Field(description="圏域, e.g. 音更中学校区・駒場中学校区.")
    active: bool


@router.get("", response_model=list[WindowOut], operation_id="listWindows", summary="相談窓口の一覧")
async def list_windows(work: IntakeWork) -> list[WindowOut]:
    """The windows of the caller's municipality (not personal data, so not audited)."""
    query = select(Window).where(Window.active.is_(True)).order_by(Window.code)
    async with work.transaction() as session:
        return [WindowOut.model_validate(w) for w in (await session.scalars(query)).all()]
