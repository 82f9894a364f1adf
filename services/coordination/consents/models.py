"""What coordination knows of the person's consents, from intake's events (no personal data).

A row may be known only in part: a withdrawal can arrive before the consent's record or the
referral made under it (they travel on one key, but a replayed dead letter or an older producer
need not keep that order), and is remembered until the rest arrives.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.coordination.db import Base
from shared.auth.policy import DataScope
from shared.auth.scope import TenantScoped
from shared.db import UTCDateTime


class KnownConsent(TenantScoped, Base):
    __tablename__ = "consents"

    consent_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    consultation_id: Mapped[str] = mapped_column(String(36), index=True)
    # The scope, once ConsentRecorded or a CaseReferred under it has arrived (None until then).
    purposes: Mapped[list[str] | None] = mapped_column(JSON)
    data_classes: Mapped[list[str] | None] = mapped_column(JSON)
    organisations: Mapped[list[str] | None] = mapped_column(JSON)
    obtained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        # Only ever read to check a record against it, never shown: the tenant is the bound.
        return None
