"""Tenancy and organisation reach, applied to every ORM query of a scoped session in one place.

A model that holds personal data subclasses `TenantScoped`; a request's session carries the caller's
`DataScope` (set by `Database.transaction(scope=...)`), and every SELECT, UPDATE and DELETE through
the ORM gets the tenant criterion and the model's own reach criterion added. Another tenant's rows
are simply not there: a lookup of one answers 404, never 403.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, event, false
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.elements import ColumnElement

from shared.auth.policy import DataScope
from shared.db import METADATA_KEY, SCOPE_KEY
from shared.errors import DomainError, Text


class TenantScoped:
    """Mixin marker: the class has `tenant_id` and may narrow visibility by reach."""

    tenant_id: Any

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        """Extra criterion for reaches narrower than the tenant; None means the whole tenant."""
        if scope.reach.value == "tenant":
            return None
        return false()


class CrossTenantWrite(DomainError):
    slug = "cross-tenant-write"
    status = 403
    title = Text("他の自治体のデータは登録できません。", "Data of another municipality cannot be written.")


def _all_scoped_classes() -> list[type[TenantScoped]]:
    found: list[type[TenantScoped]] = []
    pending = list(TenantScoped.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if hasattr(cls, "__table__"):
            found.append(cls)
    return found


def _scoped_classes(metadata: MetaData) -> list[type[TenantScoped]]:
    """The scoped models of one service (its metadata): a session of a service touches no other's."""
    key = (id(metadata), len(metadata.tables))  # a model defined later adds a table: looked up again
    found = _by_metadata.get(key)
    if found is None:
        found = [cls for cls in _all_scoped_classes() if cls.__table__.metadata is metadata]  # type: ignore[attr-defined]
        _by_metadata[key] = found
    return found


_by_metadata: dict[tuple[int, int], list[type[TenantScoped]]] = {}


@event.listens_for(Session, "do_orm_execute")
def _apply_scope(state: ORMExecuteState) -> None:
    scope = state.session.info.get(SCOPE_KEY)
    if not isinstance(scope, DataScope) or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return
    # Only the session's own service's models (its database is its metadata's), not all five's; a
    # session of no known service gets every scoped model's criteria.
    metadata = state.session.info.get(METADATA_KEY)
    classes = _scoped_classes(metadata) if isinstance(metadata, MetaData) else _all_scoped_classes()
    options = []
    for cls in classes:
        criterion: ColumnElement[bool] = cls.tenant_id == scope.tenant_id
        narrower = cls.reach_criteria(scope)
        if narrower is not None:
            criterion = criterion & narrower
        options.append(with_loader_criteria(cls, criterion, include_aliases=True))
    state.statement = state.statement.options(*options)


@event.listens_for(Session, "before_flush")
def _refuse_cross_tenant_rows(session: Session, _context: Any, _instances: Any) -> None:
    scope = session.info.get(SCOPE_KEY)
    if not isinstance(scope, DataScope):
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, TenantScoped) and obj.tenant_id != scope.tenant_id:
            raise CrossTenantWrite()
