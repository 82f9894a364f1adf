"""SQLite for the embedded mode without a thread hop per call: `sqlite+inline:///path`.

aiosqlite runs every call (execute, fetch, commit: about four per statement) in a thread of its own
and hands the result back to the event loop; a request pays for a few dozen such hops, and the loop
waits for them. This driver runs the standard library's sqlite3 in the event loop's thread instead,
behind SQLAlchemy's own asyncio adapter (which only needs awaitables): a call is as fast as SQLite
answers from its page cache, with no thread in between.

What that asks of the embedded mode, which it already keeps: one process owns the database files,
and its writers take turns on `Database`'s lock, so a write never waits in SQLite's busy handler
(which would hold up the loop); a reader in WAL mode never waits for anyone. Queries are short
(indexed lookups and pages of 20); a long one holds the loop for its length, as it would hold its
thread. The distributed mode (PostgreSQL through asyncpg) does not use it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_


class _Cursor:
    """An sqlite3 cursor with the awaitable methods SQLAlchemy's adapter calls; each runs at once."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, operation: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> _Cursor:
        self._cursor.execute(operation, parameters)
        return self

    async def executemany(self, operation: str, seq_of_parameters: Iterable[Any]) -> _Cursor:
        self._cursor.executemany(operation, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany() if size is None else self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None


class Connection:
    """An sqlite3 connection shaped like aiosqlite's, for SQLAlchemy's aiosqlite adapter."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # what the adapter checks

    def cursor(self) -> _Cursor:
        return _Cursor(self._conn.cursor())

    async def execute(self, operation: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> _Cursor:
        return await self.cursor().execute(operation, parameters)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._conn.isolation_level = value

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


async def connect(database: str, **kwargs: Any) -> Connection:
    kwargs.setdefault("check_same_thread", False)  # a pool may close it from the garbage collector
    return Connection(sqlite3.connect(database, **kwargs))


# What SQLAlchemy's adapter reads off "the aiosqlite module".
_module = SimpleNamespace(
    connect=connect,
    Connection=Connection,
    __version__="inline",
    **{
        name: getattr(sqlite3, name)
        for name in (
            "DatabaseError",
            "Error",
            "IntegrityError",
            "NotSupportedError",
            "OperationalError",
            "ProgrammingError",
            "sqlite_version",
            "sqlite_version_info",
        )
    },
)


class _InlineConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        # aiosqlite's setter goes through its thread's queue; here there is no thread.
        self._connection.isolation_level = value


class _InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _InlineConnection:
        kwargs.pop("async_creator_fn", None)
        return _InlineConnection(self, await_(connect(*args, **kwargs)))  # type: ignore[arg-type]


class SQLiteDialect_inline(SQLiteDialect_aiosqlite):
    driver = "inline"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _InlineDBAPI:
        return _InlineDBAPI(_module, sqlite3)  # type: ignore[arg-type,unused-ignore]


registry.register("sqlite.inline", __name__, "SQLiteDialect_inline")
