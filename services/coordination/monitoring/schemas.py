"""What the API takes and gives for monitoring (モニタリング)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]


class ItemMonitoringIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: Id
    outcome: Literal["done", "partly", "not_done"]
    person_view: Body | None = Field(default=None, description="The person's view, in their words.")
    next_step: Body | None = None


class MonitoringIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "due_on": "2027-01-15",
                    "monitored_on": "2027-01-14",
                    "items": [{"item_id": "3f0c…", "outcome": "partly", "person_view": "外出は月1回できた"}],
                }
            ]
        },
    )

    due_on: date = Field(description="The plan's monitoring date this record answers.")
    monitored_on: date = Field(description="The day it was done; not in the future.")
    items: list[ItemMonitoringIn] = Field(min_length=1, max_length=50)


class MonitoringOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    plan_id: str
    due_on: date
    monitored_on: date
    items: list[ItemMonitoringIn]
    recorded_by: str
    recorded_at: datetime


class MonitoringDue(BaseModel):
    case_id: str
    case_number: str
    plan_id: str
    lead_coordinator: str | None
    due_on: date
    overdue: bool
