"""What the API takes and gives for the organisations taking part, emergency sharing and disclosures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from services.coordination.parties.rules import LegalBasis

OrgId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Role = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PartyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "organisation_id": "016314-shakyo",
                    "role": "見守り訪問と家計相談",
                    "from_on": "2026-12-01",
                }
            ]
        },
    )

    organisation_id: OrgId = Field(description="An organisation of the municipality listed in the directory.")
    role: Role = Field(description="Its part in the case, in the coordinator's words.")
    from_on: date
    to_on: date | None = Field(default=None, description="Open-ended when absent.")


class PartyChange(BaseModel):
    """A change of an organisation's part: its role, or the day it ends (send the whole part)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"role": "見守り訪問", "from_on": "2026-12-01", "to_on": "2027-03-31"}]
        },
    )

    role: Role
    from_on: date
    to_on: date | None = None


class BasisOut(BaseModel):
    basis: LegalBasis
    reference: str = Field(description="The consent, support meeting or emergency sharing it rests on.")
    data_classes: list[str]


class PartyOut(BaseModel):
    id: str
    case_id: str
    organisation_id: str
    role: str
    from_on: date
    to_on: date | None
    added_by: str
    added_at: datetime
    # For the coordinators and the municipality: whether the person's data reaches this organisation
    # now, and on what ground (None: it sees the case without the person).
    sharing: BasisOut | None = None
    version: int
    etag: str


class EmergencySharingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "organisation_id": "016314-shakyo",
                    "reason": "自宅で倒れている可能性があり、本人に連絡がつかないため救急対応に住所を伝えた",
                    "decided_by_name": "佐藤 花子",
                    "decided_at": "2026-12-01T21:40:00+09:00",
                    "until": "2026-12-08",
                }
            ]
        },
    )

    organisation_id: OrgId
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] = Field(
        description="Why life or body was at risk and consent could not be had."
    )
    decided_by_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    decided_at: AwareDatetime
    until: date = Field(description="The last day the organisation may be shown the data (≤ 14 days).")


class EmergencySharingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    organisation_id: str
    reason: str
    decided_by: str
    decided_by_name: str
    decided_at: datetime
    until: date
    recorded_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    version: int


class DisclosureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    organisation_id: str
    basis: LegalBasis
    basis_reference: str
    data_classes: list[str]
    channel: str
    recipient: str | None
    disclosed_at: datetime
