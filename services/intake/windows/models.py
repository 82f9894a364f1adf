"""相談窓口: the consultation windows of each municipality."""

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.intake.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped


class Window(TenantScoped, Base):
    __tablename__ = "windows"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(20))  # elderly_care | disability | children | hardship | other
    operator_name: Mapped[str] = mapped_column(String(200))
    # The organisation (実施機関) whose staff work at this window: the `org` of their tokens.
    operator_id: Mapped[str] = mapped_column(String(100), index=True)
    operation: Mapped[str] = mapped_column(String(20))  # direct (直営) | commissioned (委託)
    phone: Mapped[str | None] = mapped_column(String(40))
    catchment: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        if scope.reach == Reach.organisation:
            return cls.operator_id == scope.organisation_id
        return super().reach_criteria(scope)
