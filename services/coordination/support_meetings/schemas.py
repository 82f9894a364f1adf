from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

OrgId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)]


class SupportMeetingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-11-25",
                    "members": ["016314-town", "016314-shakyo", "016314-willwork"],
                    "concerning": "同意が得られていない高齢の世帯（民生委員から連絡）",
                    "discussion": "民生委員から見守りの報告。訪問時は応答なし。",
                    "direction": "地域包括支援センターが週1回訪問、社協が配食で見守る",
                }
            ]
        },
    )

    held_on: date
    members: list[OrgId] = Field(min_length=2, max_length=40, examples=[["016314-town", "016314-willwork"]])
    concerning: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    consultation_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = Field(
        default=None,
        description="The person's consultation at a window, if any; required with tax_consent_id.",
    )
    discussion: Body | None = None
    direction: Body | None = None
    tax_information: Body | None = None
    tax_consent_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None


class SupportMeetingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    convened_by: str
    held_on: date
    members: list[str]
    concerning: str
    consultation_id: str | None
    discussion: str | None
    direction: str | None
    tax_information: str | None
    tax_consent_id: str | None
    created_at: datetime
