"""What the API takes and gives for progress notes and a case's ending and new start."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.coordination.progress_notes.rules import NoteKind

Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
OrgId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]


class ProgressNoteIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "occurred_on": "2026-11-30",
                    "kind": "contact_attempt",
                    "summary": "自宅を訪問したが応答なし。民生委員に最近の様子を確認した。",
                    "organisation_id": "016314-shakyo",
                }
            ]
        },
    )

    occurred_on: date = Field(description="The day it happened; not in the future.")
    kind: NoteKind
    summary: Body
    organisation_id: OrgId | None = Field(default=None, description="The agency involved, if any.")


class ProgressNoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    occurred_on: date
    kind: NoteKind
    summary: str
    organisation_id: str | None
    recorded_by: str
    recorded_at: datetime


class GoalAttainment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal: Line
    attainment: Literal["achieved", "partly", "not_achieved"]
    note: Body | None = None


class FollowUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    need: Line
    organisation_id: OrgId | None = Field(default=None, description="Who follows it up.")


class TerminationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "meeting_id": "5b7e…",
                    "goals": [{"goal": "地域の活動に参加する", "attainment": "achieved"}],
                    "follow_up": [{"need": "月1回の見守り", "organisation_id": "016314-shakyo"}],
                }
            ]
        },
    )

    meeting_id: Id = Field(description="The plan meeting that judged termination (purpose termination).")
    goals: list[GoalAttainment] = Field(min_length=1, max_length=40)
    follow_up: list[FollowUp] = Field(default_factory=list, max_length=40)


class SuspensionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"meeting_id": "5b7e…", "reason": "3か月連絡が取れない"}]},
    )

    meeting_id: Id = Field(description="The plan meeting that decided suspension (purpose suspension).")
    reason: Body


class ReopeningIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "本人から再び相談があった"}]}
    )

    reason: Body


class StateChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str
    to_status: str
    occurred_on: date
    meeting_id: str | None
    reason: str | None
    details: dict[str, Any]
    recorded_by: str
    recorded_at: datetime
