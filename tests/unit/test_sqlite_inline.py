"""The embedded mode's SQLite driver: statements run in the event loop's own thread (no hop to a
worker thread per call), and the service's writers take turns on the Database's lock, so none of
them waits in SQLite's busy handler."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from sqlalchemy import text

from shared.db import Database, database_url
from shared.settings import Settings


def test_the_embedded_mode_uses_the_inline_driver(tmp_path: Path) -> None:
    settings = Settings(run_mode="embedded", data_dir=tmp_path)
    assert database_url(settings, "intake").startswith("sqlite+inline:///")


async def test_statements_run_in_the_event_loops_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite+inline:///{tmp_path / 'x.db'}", schema="x")
    try:
        async with db.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.create_function("thread_of_call", 0, threading.get_ident)
            called_in = await conn.scalar(text("SELECT thread_of_call()"))
        assert called_in == threading.get_ident()
    finally:
        await db.dispose()


async def test_writers_take_turns_without_busy_waits(tmp_path: Path) -> None:
    db = Database(f"sqlite+inline:///{tmp_path / 'x.db'}", schema="x")
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        await session.execute(text("INSERT INTO counter VALUES (0)"))
    inside: list[int] = []

    async def bump() -> None:
        async with db.transaction() as session:
            inside.append(1)
            assert len(inside) == 1  # alone in its write transaction
            await asyncio.sleep(0.01)  # the turn is held across awaits
            await session.execute(text("UPDATE counter SET n = n + 1"))
            inside.pop()

    try:
        await asyncio.gather(*(bump() for _ in range(20)))
        async with db.reading() as session:
            assert await session.scalar(text("SELECT n FROM counter")) == 20
    finally:
        await db.dispose()
