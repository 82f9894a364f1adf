from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.intake.referrals.rules import ReferralStatus


class ReferralCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "reason": "8050世帯: 母の介護と長男のひきこもり、収入の不安が重なり、"
                    "一機関では対応が難しい"
                },
                {
                    "reason": "支援会議で見守っていた世帯。本人が多機関協働での支援に同意した",
                    "support_meeting_id": "5b0f3c1e-7a2d-4c8e-9f41-2d6b8a0c9e17",
                },
            ]
        },
    )

    reason: Annotated[str, StringConstraints(max_length=4000)] | None = None
    support_meeting_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = Field(
        default=None,
        description="The support-meeting (支援会議) record the person was discussed in before they "
        "consented, when there was one: coordination links the new case to it.",
    )


class ReferralOut(BaseModel):
    id: str
    tenant_id: str
    consultation_id: str
    consent_id: str
    window_code: str
    reason: str | None
    support_meeting_id: str | None
    status: ReferralStatus
    status_reason: str | None
    case_id: str | None
    case_number: str | None
    referred_at: datetime
    answered_at: datetime | None
