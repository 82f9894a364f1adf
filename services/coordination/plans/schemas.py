"""What the API takes and gives for support plans (支援プラン)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.coordination.plans.rules import Answer, ConfirmationPath, ItemKind, PlanStatus

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)]
OrgId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ItemId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]


class PlanItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ItemId | None = Field(default=None, description="Keep an item of the draft being revised.")
    kind: ItemKind = Field(description="outreach (item 4), participation (item 2) or other")
    organisation_id: OrgId = Field(description="The organisation responsible, as the directory lists it.")
    what: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    frequency: Short | None = Field(default=None, examples=["週1回の訪問"])
    starts_on: date | None = None
    ends_on: date | None = None


class PlanIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "drafted_on": "2026-11-20",
                    "person_wishes": "母の介護を続けながら、少しずつ外に出られるようになりたい",
                    "long_term_goals": ["地域の活動に参加し、人とのつながりを持てる"],
                    "short_term_goals": ["月に2回、支援者と外出する"],
                    "items": [
                        {
                            "kind": "outreach",
                            "organisation_id": "016314-shakyo",
                            "what": "自宅訪問による関係づくり",
                            "frequency": "週1回",
                            "starts_on": "2026-12-01",
                            "ends_on": "2027-03-31",
                        },
                        {
                            "kind": "other",
                            "organisation_id": "016314-hakuju-kyokai",
                            "what": "母の介護サービスの調整",
                            "frequency": "月1回",
                        },
                    ],
                    "monitoring_dates": ["2027-01-15", "2027-03-15"],
                }
            ]
        },
    )

    drafted_on: date = Field(
        description="The day the plan was made (figures count by it); not in the future."
    )
    person_wishes: Body | None = Field(default=None, description="本人の思い, in the person's words.")
    long_term_goals: list[Line] = Field(min_length=1, max_length=20)
    short_term_goals: list[Line] = Field(default_factory=list, max_length=20)
    items: list[PlanItemIn] = Field(min_length=1, max_length=50)
    monitoring_dates: list[date] = Field(default_factory=list, max_length=24)


class PlanItemOut(BaseModel):
    id: str
    kind: ItemKind
    organisation_id: str
    what: str
    frequency: str | None
    starts_on: date | None
    ends_on: date | None


class ApprovalOut(BaseModel):
    meeting_id: str
    held_on: date
    plan_version: int


class ItemDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: ItemId
    answer: Answer
    reason: Body | None = Field(default=None, description="Required with refuse.")


class ItemDecisionOut(BaseModel):
    item_id: str
    answer: Answer
    reason: str | None


class SupportDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decided_on": "2026-11-28",
                    "decisions": [{"item_id": "3f0c…", "answer": "approve"}],
                    "reviewed": ["9a1d…"],
                }
            ]
        },
    )

    decided_on: date = Field(description="The day the municipality decided; not in the future.")
    decisions: list[ItemDecisionIn] = Field(
        min_length=1, max_length=50, description="One per outreach or participation item."
    )
    reviewed: list[ItemId] = Field(
        default_factory=list, max_length=50, description="The plan's other items: seen with the rest."
    )


class SupportDecisionOut(BaseModel):
    decided_on: date
    decided_by: str
    plan_version: int
    decisions: list[ItemDecisionOut]
    reviewed: list[str]
    confirmed: bool


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"meeting_id": "5b7e…"}]})

    meeting_id: ItemId = Field(description="The plan meeting that evaluated this version of the plan.")


class PlanOut(BaseModel):
    id: str
    case_id: str
    number: int
    cycle: int
    replaces_id: str | None = Field(description="A re-plan: the plan it takes over from (still readable).")
    status: PlanStatus
    confirmation_path: ConfirmationPath = Field(
        description="support_decision: outreach or participation items wait for the municipality; "
        "report: confirmed by the meeting, reported to the municipality."
    )
    drafted_on: date
    person_wishes: str | None = Field(
        description="Hidden from the organisations taking part once consent is withdrawn."
    )
    long_term_goals: list[str]
    short_term_goals: list[str]
    items: list[PlanItemOut]
    monitoring_dates: list[date]
    drafted_by: str
    approvals: list[ApprovalOut]
    support_decisions: list[SupportDecisionOut]
    confirmed_at: datetime | None
    reported_at: datetime | None
    report_acknowledged_at: datetime | None
    version: int
    etag: str
