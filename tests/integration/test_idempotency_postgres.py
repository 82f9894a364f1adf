"""Idempotency keys on PostgreSQL: the same contract as on SQLite, with real concurrent transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from shared.db import Database
from tests.support.idempotency_contract import IdempotencyContract, Store, make_store

SCHEMA = "idempotency"


class TestIdempotencyPostgres(IdempotencyContract):
    @pytest.fixture
    async def store(self, database_url: str) -> AsyncIterator[Store]:
        db = Database(database_url, schema=SCHEMA)
        try:
            # search_path names the schema; it must exist before the tables can land in it.
            async with db.engine.begin() as conn:
                await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
            yield await make_store(db)
        finally:
            await db.dispose()
