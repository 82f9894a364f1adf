"""関係機関 (the organisations taking part in a case), emergency sharing, and the record of every
disclosure of the person's data to one of them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Select, String, Text, or_, select, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.coordination.cases.rules import JST
from services.coordination.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime, Versioned


class CaseParty(Versioned, TenantScoped, Base):
    """An organisation's part in a case: its role, from when to when. The referring window is the
    first; the organisations of a confirmed plan's items join with it."""

    __tablename__ = "case_parties"
    __table_args__ = (
        # One open part per organisation and case (a later part after an ended one is a new row).
        Index(
            "uq_case_parties_open",
            "case_id",
            "organisation_id",
            unique=True,
            sqlite_where=text("to_on IS NULL"),
            postgresql_where=text("to_on IS NULL"),
        ),
        Index("ix_case_parties_organisation", "organisation_id", "case_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(200))  # its part, in the coordinator's words
    from_on: Mapped[date] = mapped_column(Date)
    to_on: Mapped[date | None] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # An organisation taking part sees who else takes part in its cases.
        if scope.reach == Reach.party:
            return cls.case_id.in_(cases_taken_part_in(scope.organisation_id))
        return super().reach_criteria(scope)


def cases_taken_part_in(organisation_id: str, today: date | None = None) -> Select[tuple[str]]:
    """The cases the organisation takes part in today (Japan's date). On the table, not the class,
    so the reach criteria are not applied inside themselves."""
    day = today or datetime.now(JST).date()
    parties = CaseParty.__table__.c
    return select(parties.case_id).where(
        parties.organisation_id == organisation_id,
        parties.from_on <= day,
        or_(parties.to_on.is_(None), parties.to_on >= day),
    )


class EmergencySharing(Versioned, TenantScoped, Base):
    """緊急時の情報提供 (APPI Art. 27(1)(ii)): the person's data given to an organisation without
    consent, to protect life or body. Who decided, why, when, until when; reported to the municipality,
    which acknowledges it."""

    __tablename__ = "emergency_sharings"
    __table_args__ = (Index("ix_emergency_sharings_tenant_acknowledged", "tenant_id", "acknowledged_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))  # the token's subject
    decided_by_name: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # Listed for the coordinators and the municipality; an organisation taking part reaches the
        # ones naming it (what it may be shown rests on them), never through the API.
        if scope.reach == Reach.party:
            return cls.organisation_id == scope.organisation_id
        return super().reach_criteria(scope)


class Disclosure(TenantScoped, Base):
    """第三者提供の記録: one disclosure of the person's data to an organisation, with its legal basis.
    Append-only."""

    __tablename__ = "disclosures"
    __table_args__ = (Index("ix_disclosures_case_disclosed", "case_id", "disclosed_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    case_id: Mapped[str] = mapped_column(String(36))
    organisation_id: Mapped[str] = mapped_column(String(100))
    basis: Mapped[str] = mapped_column(String(20))  # consent | support_meeting | emergency
    basis_reference: Mapped[str] = mapped_column(String(36))
    data_classes: Mapped[list[str]] = mapped_column(JSON)
    # How it went: the operation read (getCase, getPlan, …) or the event sent (PlanConfirmed).
    channel: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str | None] = mapped_column(String(200))  # who read it; None for an event
    request_id: Mapped[str | None] = mapped_column(String(128))
    disclosed_at: Mapped[datetime] = mapped_column(UTCDateTime)
