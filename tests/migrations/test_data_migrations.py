"""The data steps of the revisions on SQLite (tests/integration/test_data_migrations_postgres.py runs
the same on PostgreSQL): each leaves data as an older version did, upgrades, and checks the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.db import Database
from tests.support import data_migrations


@pytest.mark.parametrize("step", sorted(data_migrations.STEPS))
async def test_a_data_step(step: str, tmp_path: Path) -> None:
    service = data_migrations.STEPS[step]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / f'{service}.sqlite'}", schema=service)
    try:
        await getattr(data_migrations, step)(db)
    finally:
        await db.dispose()
