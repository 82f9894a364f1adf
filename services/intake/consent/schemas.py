"""Consent in and out of the API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.errors import BilingualValueError
from shared.events.catalog import DataClass, Purpose


class ConsentMethod(StrEnum):
    written = "written"  # 署名
    oral = "oral"  # 口頭（記録者が記録）
    electronic = "electronic"


class ConsentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "purposes": ["collaboration"],
                    "data_classes": ["identity", "contact", "household", "concerns"],
                    "organisations": [],
                    "obtained_at": "2026-11-20T10:50:00+09:00",
                    "method": "written",
                    "obtained_by": "相談員 山田",
                    "explained": True,
                }
            ]
        },
    )

    purposes: list[Purpose] = Field(min_length=1, examples=[["collaboration"]])
    data_classes: list[DataClass] = Field(
        min_length=1,
        examples=[["identity", "contact", "household", "concerns"]],
        description="Tax information (`tax`) is shared only when listed here explicitly.",
    )
    organisations: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, description="Operator ids; empty means the agencies the support needs."
    )
    obtained_at: AwareDatetime
    method: ConsentMethod
    obtained_by: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    explained: bool = Field(
        description="Staff explained how personal information is handled and what collaboration does."
    )
    valid_from: AwareDatetime | None = None

    @field_validator("purposes", "data_classes", "organisations")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise BilingualValueError("同じ値が重複しています。", "Duplicate values.")
        return value


class ConsentWithdraw(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"withdrawn_at": "2026-11-27T15:00:00+09:00", "reason": "本人から電話で撤回の申し出"}
            ]
        },
    )

    withdrawn_at: AwareDatetime | None = None
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ConsentOut(BaseModel):
    id: str
    consultation_id: str
    purposes: list[str]
    data_classes: list[str]
    organisations: list[str]
    obtained_at: datetime
    method: str
    obtained_by: str
    explained: bool
    valid_from: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    active: bool
    etag: str = Field(description="Send as If-Match to withdraw this consent.")
