"""重層的支援会議 (the plan meeting): one record per meeting, with what it decided for each case."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.coordination.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime


class PlanMeeting(TenantScoped, Base):
    __tablename__ = "plan_meetings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    convened_by: Mapped[str] = mapped_column(String(100))  # the collaboration operator
    held_on: Mapped[date] = mapped_column(Date, index=True)
    # Each: organisation_id, name (the person attending), role.
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    member_index: Mapped[str] = mapped_column(String(4000))  # '|org|org|'
    person_attended: Mapped[bool] = mapped_column(Boolean)  # 本人の参加 (never required)
    agenda: Mapped[str | None] = mapped_column(Text)
    minutes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        if scope.reach == Reach.member:
            return cls.member_index.contains(f"|{scope.organisation_id}|", autoescape=True)
        return super().reach_criteria(scope)


class PlanMeetingDecision(TenantScoped, Base):
    """What the meeting decided for one case: for a plan (its version as discussed), a termination
    or a suspension. `approved` False: discussed, not approved (the coordinator revises)."""

    __tablename__ = "plan_meeting_decisions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "case_id", "purpose"),
        Index("ix_plan_meeting_decisions_tenant_held", "tenant_id", "held_on"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    meeting_id: Mapped[str] = mapped_column(ForeignKey("plan_meetings.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    plan_id: Mapped[str | None] = mapped_column(String(36))
    plan_version: Mapped[int | None] = mapped_column(Integer)
    approved: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    held_on: Mapped[date] = mapped_column(Date)
    member_index: Mapped[str] = mapped_column(String(4000))

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        if scope.reach == Reach.member:
            return cls.member_index.contains(f"|{scope.organisation_id}|", autoescape=True)
        return super().reach_criteria(scope)
