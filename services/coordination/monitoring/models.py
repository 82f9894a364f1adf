"""モニタリング: a record per planned monitoring date of the plan in force, and the notice that a date
passed unrecorded (one per plan and date: the event it sends leaves once)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.coordination.db import Base
from services.coordination.plans.models import OfACase
from shared.db import UTCDateTime


class MonitoringRecord(OfACase, Base):
    __tablename__ = "monitoring_records"
    __table_args__ = (UniqueConstraint("plan_id", "due_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("support_plans.id"))
    due_on: Mapped[date] = mapped_column(Date)  # the planned date it answers
    monitored_on: Mapped[date] = mapped_column(Date)
    # Each: item_id, outcome (done | partly | not_done), person_view, next_step.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OverdueNotice(Base):
    """A monitoring date found past and unrecorded: the unique key makes its event leave once, however
    many sweeps (or replicas) find it."""

    __tablename__ = "monitoring_overdue_notices"
    __table_args__ = (UniqueConstraint("plan_id", "due_on"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    plan_id: Mapped[str] = mapped_column(String(36))
    due_on: Mapped[date] = mapped_column(Date)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime)
