"""The data steps of the revisions on PostgreSQL (tests/migrations/test_data_migrations.py: SQLite)."""

from __future__ import annotations

import pytest

from shared.db import Database
from tests.support import data_migrations


@pytest.mark.parametrize("step", sorted(data_migrations.STEPS))
async def test_a_data_step(step: str, database_url: str) -> None:
    db = Database(database_url, schema=data_migrations.STEPS[step])
    try:
        await getattr(data_migrations, step)(db)
    finally:
        await db.dispose()
