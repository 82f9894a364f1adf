"""相談: a consultation as the window recorded it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.intake.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime


class Consultation(TenantScoped, Base):
    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_tenant_received", "tenant_id", "received_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    organisation_id: Mapped[str] = mapped_column(String(100), index=True)
    window_code: Mapped[str] = mapped_column(ForeignKey("windows.code"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(30))
    source: Mapped[str | None] = mapped_column(String(30))
    received_by: Mapped[str | None] = mapped_column(String(100))
    person_name: Mapped[str] = mapped_column(String(100))
    person_name_kana: Mapped[str] = mapped_column(String(200), index=True)
    person_birth_date: Mapped[date | None] = mapped_column(Date)
    # The rest of the person (sex, address, phone, e-mail, visitor) as the form holds it.
    person: Mapped[dict[str, Any]] = mapped_column(JSON)
    household: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    concerns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    main_concern: Mapped[str] = mapped_column(String(40), index=True)
    welfare_fields: Mapped[list[str]] = mapped_column(JSON)
    # '|code|code|' copies of the lists above, for filtering with a portable LIKE.
    concern_index: Mapped[str] = mapped_column(String(400))
    field_index: Mapped[str] = mapped_column(String(100))
    urgency: Mapped[str] = mapped_column(String(20), index=True)
    wishes: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # 税情報 (Local Tax Act Art. 22): shared only under a consent that names the `tax` data class.
    tax_information: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # A window's organisation sees what it received; the municipality sees its whole tenant.
        if scope.reach == Reach.organisation:
            return cls.organisation_id == scope.organisation_id
        return super().reach_criteria(scope)
