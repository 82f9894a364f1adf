"""相談窓口: the consultation windows of each municipality, as intake keeps them.

A read model of the resource directory's entries of kind `window`, fed by its events
(see `handlers.py`): intake never calls the directory, and never deletes a window, since
consultations point at them.
"""

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from services.intake.db import Base
from shared.auth.policy import DataScope, Reach
from shared.auth.scope import TenantScoped

# The directory's resource id ('<tenant>-<key>', or a generated one): the window's code here.
CODE_LENGTH = 120


class Window(TenantScoped, Base):
    __tablename__ = "windows"

    code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(20))  # elderly_care | disability | children | hardship | other
    # The organisation (実施機関) whose staff work at this window: the `org` of their tokens. Unknown
    # for some windows the plans list without an operator; nobody can then record at them.
    operator_name: Mapped[str | None] = mapped_column(String(200))
    operator_id: Mapped[str | None] = mapped_column(String(100), index=True)
    operation: Mapped[str | None] = mapped_column(String(20))  # direct (直営) | commissioned (委託)
    # The main voice phone as the plan writes it (often without the area code), and its 内線.
    phone: Mapped[str | None] = mapped_column(String(40))
    extension: Mapped[str | None] = mapped_column(String(10))
    catchment: Mapped[str | None] = mapped_column(Text)  # 圏域, area names joined with "・"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The directory's version of the entry this row reflects: older events never overwrite it.
    resource_version: Mapped[int] = mapped_column(Integer, default=0)

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        if scope.reach == Reach.organisation:
            return cls.operator_id == scope.organisation_id
        return super().reach_criteria(scope)
