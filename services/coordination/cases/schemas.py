from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.coordination.cases.rules import CaseStatus


class CaseAnswer(BaseModel):
    """Why coordination declines or returns a referral; the window reads it."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "世帯の収入状況を確認のうえ、改めてつないでください"}]},
    )

    reason: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    case_number: str
    referral_id: str
    consultation_id: str
    window_code: str
    status: CaseStatus
    status_reason: str | None
    urgency: str
    main_concern: str | None
    concerns: list[str]
    welfare_fields: list[str]
    referral_reason: str | None
    person: dict[str, Any] | None
    household: list[dict[str, Any]] | None
    notes: str | None
    tax_information: str | None
    referring_organisation_id: str
    parties: list[str]
    consent: dict[str, Any]
    consent_withdrawn_at: datetime | None
    referred_at: datetime
    opened_at: datetime
    closed_at: datetime | None
    lead_coordinator: str | None
    lead_coordinator_name: str | None
    cycle: int = Field(description="The plan cycle: 1, and one more at each reopening.")
    version: int
    etag: str


class CasePartyOut(BaseModel):
    """What an organisation taking part in a case sees: the case, and the person only as far as the
    consent names that organisation (or names none) and has not been withdrawn."""

    id: str
    tenant_id: str
    case_number: str
    status: CaseStatus
    status_reason: str | None
    window_code: str
    urgency: str
    main_concern: str | None
    welfare_fields: list[str]
    parties: list[str]
    person_name: str | None
    person_name_kana: str | None
    opened_at: datetime
    closed_at: datetime | None


class CaseListItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    case_number: str
    window_code: str
    status: CaseStatus
    urgency: str
    main_concern: str | None
    welfare_fields: list[str]
    opened_at: datetime


class AssignmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"coordinator": "coordinator-sato", "coordinator_name": "佐藤 花子"}]
        },
    )

    coordinator: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = (
        Field(description="The lead coordinator: the subject of their token.")
    )
    coordinator_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    coordinator: str
    coordinator_name: str
    assigned_by: str
    assigned_at: datetime


class WorkItem(BaseModel):
    """One of my cases, with the next thing due."""

    case_id: str
    case_number: str
    status: CaseStatus
    urgency: str
    next: str = Field(
        description="assessment | draft_plan | plan_meeting | support_decision | monitoring | none"
    )
    due_on: date | None = Field(description="Since when it is due (monitoring: the planned date).")
