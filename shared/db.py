"""Database engines and sessions for both run modes.

Embedded: one SQLite file per service under DATA_DIR. Distributed: PostgreSQL through asyncpg, one
schema per service (selected with search_path, so table definitions carry no schema name).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, Table, TypeDecorator, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

from shared import sqlite_inline as _sqlite_inline  # noqa: F401  (registers sqlite+inline)
from shared.settings import Settings

# Where a session keeps the caller's DataScope (see shared.auth.scope).
SCOPE_KEY = "data_scope"
METADATA_KEY = "service_metadata"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_unique_violation(error: BaseException) -> bool:
    """A unique key refused the write (PostgreSQL SQLSTATE 23505, SQLite's UNIQUE constraint)."""
    original = getattr(error, "orig", None)
    if getattr(original, "sqlstate", None) == "23505" or getattr(original, "pgcode", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(original)


class Versioned:
    """A shared record written with If-Match. Its version is SQLAlchemy's version_id_col: every ORM
    UPDATE says `WHERE version = :read` and bumps it, so of two writers that read the same version the
    second matches no row (StaleDataError, answered 412) however close together they come."""

    version: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


# The row an upsert offered (`excluded`): `offered.x` is the value it would have written.
Offered = ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]


def upsert(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    changes: Callable[[Offered], Mapping[str, Any]] | None = None,
) -> Any:
    """`INSERT … ON CONFLICT (key) DO UPDATE SET changes` (or DO NOTHING): one statement, so two
    writers at the same moment cannot both insert (no read-then-insert). `changes` is given the
    offered row (`excluded`); `table.c.x` in it is the stored one."""
    dialect = session.get_bind().dialect.name
    statement = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table).values(**values)
    if changes is not None:
        return statement.on_conflict_do_update(
            index_elements=list(key), set_=dict(changes(statement.excluded))
        )
    return statement.on_conflict_do_nothing(index_elements=list(key))


READ_ONLY_KEY = "jusou.read_only"
_DEFERRED_KEY = "jusou.with_audit"


def add_with_audit(session: AsyncSession, row: object) -> None:
    """A row that belongs with the request's audit entry (the record of a disclosure): written in its
    transaction. In a read-only unit of work it waits for the entry's own transaction, right after the
    read (`shared.work`); otherwise it is added to the session at once."""
    if session.info.get(READ_ONLY_KEY):
        session.info.setdefault(_DEFERRED_KEY, []).append(row)
    else:
        session.add(row)


def deferred_rows(session: AsyncSession) -> list[object]:
    rows: list[object] = session.info.pop(_DEFERRED_KEY, [])
    return rows


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in and out on both backends (SQLite stores naive text otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def database_url(settings: Settings, service: str) -> str:
    if settings.run_mode == "distributed":
        settings.require_distributed()
        assert settings.database_url is not None
        return settings.database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # No thread hop per call (shared/sqlite_inline.py): one process owns the files, its writers take turns.
    return f"sqlite+inline:///{(settings.data_dir / f'{service}.db').resolve()}"


class Database:
    """The engine and session factory of one service."""

    def __init__(
        self,
        url: str,
        *,
        schema: str,
        echo: bool = False,
        metadata: MetaData | None = None,
        pool_size: int = 20,
        max_overflow: int = 10,
        ping_after_idle_seconds: float = 5.0,
    ) -> None:
        self.url = url
        self.schema = schema
        # The service's tables: a scoped session applies its models' criteria only (shared.auth.scope).
        self.metadata = metadata
        self.is_sqlite = url.startswith("sqlite")
        connect_args: dict[str, Any] = {}
        engine_args: dict[str, Any] = {}
        if self.is_sqlite:
            connect_args["timeout"] = 30
        else:
            connect_args["server_settings"] = {"search_path": schema, "application_name": f"jusou-{schema}"}
            # Enough kept open for the requests in flight: an overflow connection is closed on return,
            # so a pool smaller than the load opens (TLS attempt, authentication) one per request.
            engine_args.update(pool_size=pool_size, max_overflow=max_overflow)
        # hide_parameters: a driver error quotes its SQL in logs and tracebacks, never the values bound
        # to it (a name, an address: personal data).
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, connect_args=connect_args, hide_parameters=True, **engine_args
        )
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        else:
            _ping_when_idle(self.engine, ping_after_idle_seconds)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._writer = asyncio.Lock() if self.is_sqlite else None
        read_options = {"sqlite_begin": "DEFERRED"} if self.is_sqlite else {"postgresql_readonly": True}
        self.read_sessions = async_sessionmaker(
            self.engine.execution_options(**read_options), expire_on_commit=False, autoflush=False
        )

    @asynccontextmanager
    async def transaction(self, *, scope: object | None = None) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends, rolls back if it raises.

        `scope` (a DataScope) limits every ORM query of the session to what the caller may see;
        event handlers and the relay work unscoped, as the system.
        """
        if self._writer is not None:
            # SQLite has one writer at a time. In this process they take turns on a lock, so none of
            # them sleeps in SQLite's busy handler (steps of 1 to 100 ms) waiting for another.
            async with self._writer, self._session(scope) as session, session.begin():
                yield session
            return
        async with self._session(scope) as session, session.begin():
            yield session

    @asynccontextmanager
    async def _session(self, scope: object | None) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            if scope is not None:
                session.info[SCOPE_KEY] = scope
                session.info[METADATA_KEY] = self.metadata
            yield session

    @asynccontextmanager
    async def reading(self, *, scope: object | None = None) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work: never waits for, nor holds up, the service's writers."""
        async with self.read_sessions() as session:
            session.info[READ_ONLY_KEY] = True
            if scope is not None:
                session.info[SCOPE_KEY] = scope
                session.info[METADATA_KEY] = self.metadata
            async with session.begin():
                yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """SQLAlchemy's pre-ping, for the connections that have been idle a while only.

    A ping through asyncpg is three round trips (BEGIN, a statement, ROLLBACK); before every use it
    cost a request more than its own queries. A connection returned a moment ago is as good as the
    answer it just carried; one idle for longer may have been cut (a restarted or failed-over
    server, a firewall's idle timeout) and is checked. Should a dead one slip through, its error
    invalidates the whole pool, so the next checkouts reconnect.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("an idle connection did not answer its ping") from exc


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling defers BEGIN and cannot take the write lock up front; a
    # read-then-write transaction could then fail with "database is locked" instead of waiting.
    # We emit BEGIN IMMEDIATE ourselves so writers queue on the busy timeout (SQLAlchemy's
    # documented recipe for pysqlite/aiosqlite).
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers (Database.reading) begin deferred: in WAL mode they see a snapshot and take no lock.
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'IMMEDIATE')}")
