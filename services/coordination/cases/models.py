"""ケース: a case of multi-agency collaboration, opened from a consented referral."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.coordination.cases import rules
from services.coordination.cases.rules import CaseStatus
from services.coordination.db import Base
from services.coordination.parties.models import cases_taken_part_in
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime, Versioned


class Case(Versioned, TenantScoped, Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("referral_id"),
        UniqueConstraint("tenant_id", "case_number"),
        Index("ix_cases_tenant_opened", "tenant_id", "opened_at", "id"),
        Index("ix_cases_tenant_closed", "tenant_id", "closed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    case_number: Mapped[str] = mapped_column(String(20))
    referral_id: Mapped[str] = mapped_column(String(36))
    consultation_id: Mapped[str] = mapped_column(String(36), index=True)
    window_code: Mapped[str] = mapped_column(String(120), index=True)  # the directory's resource id
    referring_organisation_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(20), index=True)
    main_concern: Mapped[str | None] = mapped_column(String(40))
    concerns: Mapped[list[str]] = mapped_column(JSON)
    welfare_fields: Mapped[list[str]] = mapped_column(JSON)
    referral_reason: Mapped[str | None] = mapped_column(Text)
    # Only what the person's consent let intake send (see CaseReferred).
    person: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    household: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    tax_information: Mapped[str | None] = mapped_column(Text)  # only ever sent under a `tax` consent
    consent: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The consent the referral was made under: its withdrawal hides the person from the parties.
    consent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 担当の包括化推進員: the lead coordinator (the token's subject) and the name to show.
    lead_coordinator: Mapped[str | None] = mapped_column(String(200), index=True)
    lead_coordinator_name: Mapped[str | None] = mapped_column(String(100))
    # The plan cycle: 1 from opening; a reopening (after termination or suspension) starts the next.
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    def answer(self, answer: CaseStatus, *, reason: str, now: datetime) -> None:
        """Decline the referral, or return it to the window: the case ends with the reason."""
        self.status = rules.transition(self.status, answer).value
        self.status_reason = reason
        self.closed_at = now

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # A case is visible to its coordinator and the municipality (tenant reach) and to the
        # organisations taking part in it (関係機関, services/coordination/parties).
        if scope.reach == Reach.party:
            return cls.id.in_(cases_taken_part_in(scope.organisation_id))
        return super().reach_criteria(scope)


class CaseAssignment(TenantScoped, Base):
    """Who led the case when: every assignment and reassignment, kept."""

    __tablename__ = "case_assignments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    coordinator: Mapped[str] = mapped_column(String(200))
    coordinator_name: Mapped[str] = mapped_column(String(100))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Tenant reach only (TenantScoped's default): the coordinators and the municipality read it.


class CaseNumberCounter(Base):
    """The last case number given per municipality and fiscal year (ケース番号 2026-00001)."""

    __tablename__ = "case_number_counters"

    tenant_id: Mapped[str] = mapped_column(String(6), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
