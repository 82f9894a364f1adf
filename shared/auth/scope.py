"""Tenancy and organisation reach, applied to every ORM query of a scoped session in one place.

A model that holds personal data subclasses `TenantScoped`; a request's session carries the caller's
`DataScope` (set by `Database.transaction(scope=...)`), and every SELECT, UPDATE and DELETE through
the ORM gets the tenant criterion and the model's own reach criterion added. Another tenant's rows
are simply not there: a lookup of one answers 404, never 403.
"""

from __future__ import annotations

import functools
import weakref
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import MetaData, event, false
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql import visitors
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement, ColumnClause, ColumnElement
from sqlalchemy.sql.selectable import TableClause

from shared.auth.policy import DataScope
from shared.db import METADATA_KEY, SCOPE_KEY
from shared.errors import DomainError, Text
from shared.figures import JST


class TenantScoped:
    """Mixin marker: the class has `tenant_id` and may narrow visibility by reach."""

    tenant_id: Any

    @classmethod
    def reach_criteria(cls, scope: DataScope) -> ColumnElement[bool] | None:
        """Extra criterion for reaches narrower than the tenant; None means the whole tenant.

        A function of the scope and of Japan's date alone: it is built once per scope and day."""
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


def _scoped_classes(metadata: MetaData | None) -> dict[str, list[type[TenantScoped]]]:
    """The scoped models of one service (its metadata) by table name: a session of a service touches
    no other's. A session of no known service gets every service's (two may share a table name)."""
    key = (id(metadata), len(metadata.tables) if metadata is not None else 0)
    found = _by_metadata.get(key)  # a model defined later adds a table: looked up again
    if found is None:
        found = {}
        for cls in _all_scoped_classes():
            table = cls.__table__  # type: ignore[attr-defined]
            if metadata is None or table.metadata is metadata:
                found.setdefault(table.name, []).append(cls)
        _by_metadata[key] = found
    return found


_by_metadata: dict[tuple[int, int], dict[str, list[type[TenantScoped]]]] = {}


def tables_named_in(element: ClauseElement | Executable) -> set[str]:
    """Every table the statement reads or writes, wherever it appears: the selected entities, a
    join, an alias, a subquery in the WHERE clause, a column of a table not otherwise in the FROM."""
    names: set[str] = set()
    for part in visitors.iterate(cast(ClauseElement, element)):
        if isinstance(part, TableClause):
            names.add(part.name)
        elif isinstance(part, ColumnClause) and isinstance(part.table, TableClause):
            names.add(part.table.name)
    return names


def _tables_of(statement: Executable) -> frozenset[str]:
    # Statements are immutable: one built once (the FY figures') is walked once, not per run.
    try:
        return _walked[statement]
    except KeyError:
        names = _walked[statement] = frozenset(tables_named_in(statement))
        return names
    except TypeError:  # not weakly referable
        return frozenset(tables_named_in(statement))


_walked: weakref.WeakKeyDictionary[Executable, frozenset[str]] = weakref.WeakKeyDictionary()


def _option(cls: type[TenantScoped], scope: DataScope) -> tuple[ORMOption, frozenset[str]]:
    return _option_of_day(cls, scope, datetime.now(JST).date())  # type: ignore[arg-type]  # classes hash


@functools.lru_cache(maxsize=4096)
def _option_of_day(
    cls: type[TenantScoped], scope: DataScope, _today: date
) -> tuple[ORMOption, frozenset[str]]:
    """A model's criteria for one scope, and the tables they read: built once a day (a party's reach
    ends with the day its part does), not per statement."""
    criterion: ColumnElement[bool] = cls.tenant_id == scope.tenant_id
    narrower = cls.reach_criteria(scope)
    if narrower is not None:
        criterion = criterion & narrower
    return with_loader_criteria(cls, criterion, include_aliases=True), frozenset(tables_named_in(criterion))


@event.listens_for(Session, "do_orm_execute")
def _apply_scope(state: ORMExecuteState) -> None:
    scope = state.session.info.get(SCOPE_KEY)
    if not isinstance(scope, DataScope) or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return
    metadata = state.session.info.get(METADATA_KEY)
    scoped = _scoped_classes(metadata if isinstance(metadata, MetaData) else None)
    # The criteria of the scoped models the statement names, and of those their criteria name in
    # turn (a case's reach reads the parties): the same criteria as attaching every model's, since
    # a criterion only ever applies where its model appears, without the cost of the others'.
    pending = [cls for name in _tables_of(state.statement) for cls in scoped.get(name, ())]
    options: list[ORMOption] = []
    done: set[type[TenantScoped]] = set()
    while pending:
        cls = pending.pop()
        if cls in done:
            continue
        done.add(cls)
        option, read = _option(cls, scope)
        options.append(option)
        pending.extend(cls for name in read for cls in scoped.get(name, ()))
    if options:
        state.statement = _with_options(state.statement, tuple(options))


def _with_options(statement: Executable, options: tuple[ORMOption, ...]) -> Executable:
    """The statement with the scope's criteria. A statement built once (a lookup by id) gets the
    same criteria as often as the same caller's scope comes again: the scoped statement is kept
    too, so SQLAlchemy computes its cache key once, not on every run."""
    try:
        scoped = _scoped.get(statement)
    except TypeError:  # not weakly referable
        return statement.options(*options)
    if scoped is None:
        scoped = _scoped[statement] = {}
    found = scoped.get(options)
    if found is None:
        if len(scoped) >= _SCOPES_KEPT:
            scoped.clear()  # scopes (tenant, organisation, reach, day) kept per statement: a few
        found = scoped[options] = statement.options(*options)
    return found


_SCOPES_KEPT = 256
_scoped: weakref.WeakKeyDictionary[Executable, dict[tuple[ORMOption, ...], Executable]] = (
    weakref.WeakKeyDictionary()
)


@event.listens_for(Session, "before_flush")
def _refuse_cross_tenant_rows(session: Session, _context: Any, _instances: Any) -> None:
    scope = session.info.get(SCOPE_KEY)
    if not isinstance(scope, DataScope):
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, TenantScoped) and obj.tenant_id != scope.tenant_id:
            raise CrossTenantWrite()
