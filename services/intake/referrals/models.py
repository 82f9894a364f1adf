"""多機関協働事業へのつなぎ: a referral and its answer from coordination."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.intake.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime

# A consultation has at most one referral in coordination's hands (sent or accepted); see
# rules.OPEN. The database holds this, not a read-then-insert.
_OPEN = text("status IN ('sent', 'accepted')")


class Referral(TenantScoped, Base):
    __tablename__ = "referrals"
    __table_args__ = (
        Index(
            "uq_referrals_open_consultation",
            "consultation_id",
            unique=True,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        Index("ix_referrals_tenant_referred", "tenant_id", "referred_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    organisation_id: Mapped[str] = mapped_column(String(100), index=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"), index=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"))
    window_code: Mapped[str] = mapped_column(String(120), index=True)  # the directory's resource id
    reason: Mapped[str | None] = mapped_column(Text)
    # The support-meeting record (coordination's id) the person was discussed in before consenting.
    support_meeting_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(String(36))
    case_number: Mapped[str | None] = mapped_column(String(20))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # A window's organisation sees what it received; the municipality sees its whole tenant.
        if scope.reach == Reach.organisation:
            return cls.organisation_id == scope.organisation_id
        return super().reach_criteria(scope)
