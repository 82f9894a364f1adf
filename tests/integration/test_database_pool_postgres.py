"""The PostgreSQL pool of a service (shared/db.py): a connection idle longer than the ping interval
is checked before use, so one cut while idle (a restarted server, a firewall's idle timeout) is
replaced without the request noticing; one in use a moment ago is not pinged, and should it be dead
after all, its one failed statement invalidates the pool and the next use reconnects."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.db import Database


async def _backend_of(db: Database) -> int:
    async with db.engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def _cut(database_url: str, pid: int) -> None:
    """Another session, of a pool of its own, ends the connection's backend, as a restart would."""
    admin = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with admin.connect() as other:
            assert await other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()


async def test_a_connection_cut_while_idle_is_replaced_before_it_is_used(database_url: str) -> None:
    db = Database(database_url, schema="public", ping_after_idle_seconds=0.2)
    try:
        first = await _backend_of(db)
        await _cut(database_url, first)
        await asyncio.sleep(0.4)  # idle longer than the ping interval

        # No error: the ping found it dead, and the pool handed over a new connection.
        second = await _backend_of(db)
        assert second != first
    finally:
        await db.dispose()


async def test_a_connection_in_use_a_moment_ago_is_not_pinged_and_a_dead_one_fails_once(
    database_url: str,
) -> None:
    db = Database(database_url, schema="public", pool_size=1, ping_after_idle_seconds=3600)
    try:
        first = await _backend_of(db)
        await _cut(database_url, first)

        with pytest.raises(DBAPIError) as failed:
            await _backend_of(db)
        assert failed.value.connection_invalidated

        assert await _backend_of(db) != first
    finally:
        await db.dispose()
