"""What the API takes and gives for plan meetings (重層的支援会議)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.coordination.plan_meetings.rules import MeetingPurpose

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    name: Short = Field(description="The person attending for the organisation.")
    role: Short | None = Field(default=None, examples=["保健師", "相談支援専門員"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: Id
    purpose: MeetingPurpose
    plan_id: Id | None = Field(
        default=None,
        description="Required for plan_evaluation and re_plan: the plan discussed (as it is now).",
    )
    approved: bool = Field(
        default=True,
        description="plan_evaluation / re_plan: the plan is approved; termination / suspension: decided.",
    )
    note: Body | None = None


class PlanMeetingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-11-25",
                    "members": [
                        {"organisation_id": "016314-town", "name": "音更 花子", "role": "保健福祉課"},
                        {"organisation_id": "016314-shakyo", "name": "十勝 太郎", "role": "包括化推進員"},
                    ],
                    "person_attended": False,
                    "agenda": "新規プランの評価",
                    "minutes": "目標と役割分担を確認した。",
                    "decisions": [
                        {
                            "case_id": "8c1e…",
                            "purpose": "plan_evaluation",
                            "plan_id": "2f4a…",
                            "approved": True,
                        }
                    ],
                }
            ]
        },
    )

    held_on: date = Field(description="The day it was held (figures count by it); not in the future.")
    members: list[MemberIn] = Field(min_length=1, max_length=50)
    person_attended: bool = Field(default=False, description="本人の参加: never required.")
    agenda: Body | None = None
    minutes: Body | None = None
    decisions: list[DecisionIn] = Field(
        default_factory=list, max_length=50, description="Per case discussed."
    )


class MemberOut(BaseModel):
    organisation_id: str
    name: str
    role: str | None


class DecisionOut(BaseModel):
    case_id: str
    purpose: MeetingPurpose
    plan_id: str | None
    plan_version: int | None
    approved: bool
    note: str | None


class PlanMeetingOut(BaseModel):
    id: str
    tenant_id: str
    convened_by: str
    held_on: date
    members: list[MemberOut]
    person_attended: bool
    agenda: str | None
    minutes: str | None
    decisions: list[DecisionOut]
    recorded_by: str
    created_at: datetime
