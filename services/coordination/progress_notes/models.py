"""支援経過記録: dated entries of what happened in a case, and the record of its state changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.coordination.db import Base
from services.coordination.plans.models import OfACase
from shared.db import UTCDateTime


class ProgressNote(OfACase, Base):
    """A note typed in by staff, or one recorded from another service's event (outreach's
    `ContactLost`): such a note has a `source_key` naming the fact it records, once per case.

    `case_id` is not a foreign key: an event may name a case before coordination knows it (a replay,
    a dead letter handled late). Its notes wait under the event's tenant and show once the case
    exists, only on a case of that same tenant."""

    __tablename__ = "progress_notes"
    __table_args__ = (
        Index("ix_progress_notes_case_occurred", "case_id", "occurred_on", "id"),
        UniqueConstraint("tenant_id", "case_id", "source_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    case_id: Mapped[str] = mapped_column(String(36))
    occurred_on: Mapped[date] = mapped_column(Date)  # when it happened, not when it was typed in
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[str | None] = mapped_column(String(100))  # the agency involved
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_by_organisation: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What another service reported, e.g. 'outreach:attempt:<its attempt id>'; None for staff's notes.
    source_key: Mapped[str | None] = mapped_column(String(200))


class CaseStateChange(OfACase, Base):
    """Every move of a case's state after opening (終結, 中断, 再開), kept: the case holds only the
    current one."""

    __tablename__ = "case_state_changes"
    __table_args__ = (Index("ix_case_state_changes_tenant_occurred", "tenant_id", "occurred_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(Date)
    meeting_id: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str | None] = mapped_column(Text)
    # Termination: goal attainment and follow-up needs; suspension: the contact attempts counted.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
