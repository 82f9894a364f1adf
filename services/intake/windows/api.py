"""The windows intake accepts consultations for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.intake.deps import IntakeDb
from services.intake.windows.models import Window

router = APIRouter(prefix="/intake/v1/windows", tags=["windows"])


class WindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    tenant_id: str
    name: str
    field: str
    operator_name: str
    operation: str
    phone: str | None
    catchment: str | None
    active: bool


@router.get("", response_model=list[WindowOut], operation_id="listWindows", summary="相談窓口の一覧")
async def list_windows(
    db: IntakeDb, tenant_id: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None
) -> list[WindowOut]:
    query = select(Window).where(Window.active.is_(True)).order_by(Window.code)
    if tenant_id is not None:
        query = query.where(Window.tenant_id == tenant_id)
    async with db.reading() as session:
        return [WindowOut.model_validate(w) for w in (await session.scalars(query)).all()]
