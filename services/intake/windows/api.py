"""The windows intake accepts consultations for."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.intake.access import IntakeAccess, authorize
from services.intake.deps import IntakeDb
from services.intake.windows.models import Window

router = APIRouter(prefix="/intake/v1/windows", tags=["windows"], dependencies=[Depends(authorize)])


class WindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    tenant_id: str
    name: str
    field: str
    operator_name: str
    operator_id: str
    operation: str
    phone: str | None
    catchment: str | None
    active: bool


@router.get("", response_model=list[WindowOut], operation_id="listWindows", summary="相談窓口の一覧")
async def list_windows(db: IntakeDb, access: IntakeAccess) -> list[WindowOut]:
    """The windows of the caller's municipality (not personal data, so not audited)."""
    query = select(Window).where(Window.active.is_(True)).order_by(Window.code)
    async with db.reading(scope=access.scope) as session:
        return [WindowOut.model_validate(w) for w in (await session.scalars(query)).all()]
