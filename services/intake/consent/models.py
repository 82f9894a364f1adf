"""同意: the person's consent to share their information, as a record of its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.intake.consent import rules
from services.intake.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime, Versioned
from shared.events.catalog import DataClass, Purpose


class Consent(Versioned, TenantScoped, Base):
    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6))
    organisation_id: Mapped[str] = mapped_column(String(100), index=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"), index=True)
    purposes: Mapped[list[Purpose]] = mapped_column(JSON)
    data_classes: Mapped[list[DataClass]] = mapped_column(JSON)
    # Organisations the person agreed may receive the information; empty means "the agencies
    # needed for the support", the wording of the national form.
    organisations: Mapped[list[str]] = mapped_column(JSON)
    obtained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(20))
    obtained_by: Mapped[str] = mapped_column(String(100))
    explained: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def withdraw(self, *, at: datetime, reason: str | None, now: datetime) -> None:
        """同意の撤回, from the moment given (never later than now); a withdrawal is final."""
        rules.check_withdrawable(self)
        self.withdrawn_at = min(at, now)
        self.withdrawal_reason = reason

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # A window's organisation sees what it received; the municipality sees its whole tenant.
        if scope.reach == Reach.organisation:
            return cls.organisation_id == scope.organisation_id
        return super().reach_criteria(scope)
