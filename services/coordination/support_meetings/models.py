"""支援会議 (Social Welfare Act Art. 106-6): the confidential meeting on people not yet consenting."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.coordination.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime, Versioned


class SupportMeeting(Versioned, TenantScoped, Base):
    __tablename__ = "support_meetings"
    # The fiscal-year figures count by held_on; the list pages newest first by (held_on, id).
    __table_args__ = (Index("ix_support_meetings_tenant_held", "tenant_id", "held_on", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    convened_by: Mapped[str] = mapped_column(String(100))
    held_on: Mapped[date] = mapped_column(Date)
    # Member organisations, bound by the statutory duty of confidentiality.
    members: Mapped[list[str]] = mapped_column(JSON)
    member_index: Mapped[str] = mapped_column(String(4000))
    concerning: Mapped[str] = mapped_column(Text)  # who the meeting is worried about
    # The person's consultation, when a window has one (needed to record a tax consent of theirs).
    consultation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    discussion: Mapped[str | None] = mapped_column(Text)
    direction: Mapped[str | None] = mapped_column(Text)  # agreed watching / support direction
    tax_information: Mapped[str | None] = mapped_column(Text)
    tax_consent_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # Only members see the material, whatever their role: no tenant-wide reading.
        if scope.reach == Reach.member:
            return cls.member_index.contains(f"|{scope.organisation_id}|", autoescape=True)
        return super().reach_criteria(scope)
