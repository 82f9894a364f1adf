"""Database engines and sessions for both run modes.

Embedded: one SQLite file per service under DATA_DIR. Distributed: PostgreSQL through asyncpg, one
schema per service (selected with search_path, so table definitions carry no schema name).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.settings import Settings

# Where a session keeps the caller's DataScope (see shared.auth.scope).
SCOPE_KEY = "data_scope"

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
    return f"sqlite+aiosqlite:///{(settings.data_dir / f'{service}.db').resolve()}"


class Database:
    """The engine and session factory of one service."""

    def __init__(self, url: str, *, schema: str, echo: bool = False) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        connect_args: dict[str, Any] = {}
        engine_args: dict[str, Any] = {}
        if self.is_sqlite:
            connect_args["timeout"] = 30
        else:
            connect_args["server_settings"] = {"search_path": schema, "application_name": f"jusou-{schema}"}
            engine_args.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, connect_args=connect_args, **engine_args
        )
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
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
        async with self.sessions() as session:
            if scope is not None:
                session.info[SCOPE_KEY] = scope
            async with session.begin():
                yield session

    @asynccontextmanager
    async def reading(self, *, scope: object | None = None) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work: never waits for, nor holds up, the service's writers."""
        async with self.read_sessions() as session:
            if scope is not None:
                session.info[SCOPE_KEY] = scope
            async with session.begin():
                yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


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
