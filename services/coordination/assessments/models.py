"""アセスメント: the coordinator's assessment of the person's situation, versioned. A later one never
overwrites an earlier one: each is a row of its own, numbered within the case."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.coordination.db import Base
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime


class Assessment(TenantScoped, Base):
    """Tenant reach only (TenantScoped's default): the coordinators and the municipality."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    assessed_on: Mapped[date] = mapped_column(Date)
    # The sheet as the API takes it (situation, household, concerns, strengths, wishes, risks,
    # sources): kept whole, as written on that day.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    assessed_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
