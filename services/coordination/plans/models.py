"""支援プラン and what is recorded about it: the plan (versioned, a re-plan a new one), the meeting's
approval, the municipality's support decision. Approvals and decisions are append-only records of
one plan version: a later re-plan never rewrites them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.coordination.db import Base
from services.coordination.parties.models import cases_taken_part_in
from services.coordination.plans.rules import PlanStatus
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime, Versioned

# Of a case's plans, one at most is being drafted or awaits its decision at a time.
UNDECIDED = ("drafting", "approved")


class OfACase(TenantScoped):
    """A record of one case: the organisations taking part in the case see it, as they see the case."""

    case_id: Mapped[str]

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        if scope.reach == Reach.party:
            return cls.case_id.in_(cases_taken_part_in(scope.organisation_id))
        return super().reach_criteria(scope)


class SupportPlan(Versioned, OfACase, Base):
    __tablename__ = "support_plans"
    __table_args__ = (
        UniqueConstraint("case_id", "number"),
        Index(
            "uq_support_plans_undecided_case",
            "case_id",
            unique=True,
            sqlite_where=text("status IN ('drafting', 'approved')"),
            postgresql_where=text("status IN ('drafting', 'approved')"),
        ),
        Index("ix_support_plans_tenant_drafted", "tenant_id", "drafted_on"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # the case's plans in order: 1, 2 (a re-plan), …
    cycle: Mapped[int] = mapped_column(Integer)  # the case's plan cycle (a reopening starts one)
    replaces_id: Mapped[str | None] = mapped_column(String(36))  # a re-plan: the plan it takes over
    status: Mapped[str] = mapped_column(String(20))
    drafted_on: Mapped[date] = mapped_column(Date)  # the date the plan was made (counted in figures)
    person_wishes: Mapped[str | None] = mapped_column(Text)  # 本人の思い, in their words
    long_term_goals: Mapped[list[str]] = mapped_column(JSON)
    short_term_goals: Mapped[list[str]] = mapped_column(JSON)
    # Each: id, kind (outreach | participation | other), organisation_id, what, frequency,
    # starts_on, ends_on.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    monitoring_dates: Mapped[list[str]] = mapped_column(JSON)  # ISO dates
    drafted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A plan with neither outreach nor participation is reported to the municipality on
    # confirmation, which acknowledges it.
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_acknowledged_by: Mapped[str | None] = mapped_column(String(200))

    def move_to(self, status: PlanStatus, *, now: datetime) -> None:
        self.status = status.value
        self.updated_at = now
        if status == PlanStatus.confirmed:
            self.confirmed_at = now


class PlanApproval(OfACase, Base):
    """The plan meeting's approval of one plan version (了承)."""

    __tablename__ = "plan_approvals"
    __table_args__ = (UniqueConstraint("plan_id", "plan_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    plan_id: Mapped[str] = mapped_column(ForeignKey("support_plans.id"), index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    meeting_id: Mapped[str] = mapped_column(String(36))
    held_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SupportDecision(OfACase, Base):
    """支援決定: the municipality's decision on a plan version's outreach and participation items."""

    __tablename__ = "support_decisions"
    __table_args__ = (UniqueConstraint("plan_id", "plan_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    plan_id: Mapped[str] = mapped_column(ForeignKey("support_plans.id"), index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[str] = mapped_column(String(100))
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # item_id, answer, reason
    reviewed: Mapped[list[str]] = mapped_column(JSON)  # the other items, seen with the rest
    confirmed: Mapped[bool] = mapped_column(Boolean)  # False: an item refused, back to drafting
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
