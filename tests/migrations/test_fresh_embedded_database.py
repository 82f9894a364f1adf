"""A new embedded database is made from the models and stamped at head, not by replaying every
revision: it must come out as the revisions would make it, and upgrade normally from then on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from shared.db import Database
from shared.migrations import upgrade
from tests.migrations.test_migrations_match_models import definition_of

SERVICES = ("intake", "coordination", "participation", "outreach", "directory")


async def _shape(db: Database) -> tuple[str, dict[str, list[tuple[str, str, int]]], list[str]]:
    async with db.engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        names = (
            await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
        ).scalars()
        tables = {}
        for name in names:
            columns = (await conn.exec_driver_sql(f'PRAGMA table_info("{name}")')).all()
            tables[name] = sorted((c.name, c.type.upper(), c.notnull) for c in columns)
        indexes = (
            await conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            )
        ).scalars()
        return version, tables, sorted(indexes)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_fresh_database_is_what_the_revisions_make(service: str, tmp_path: Path) -> None:
    definition = definition_of(service)
    fresh = Database(
        f"sqlite+inline:///{tmp_path / 'fresh.db'}", schema=service, metadata=definition.metadata
    )
    replayed = Database(f"sqlite+inline:///{tmp_path / 'replayed.db'}", schema=service)
    try:
        await upgrade(fresh, definition.migrations)
        await upgrade(replayed, definition.migrations)
        assert await _shape(fresh) == await _shape(replayed)
        await upgrade(fresh, definition.migrations)  # at head already: nothing to do, nothing breaks
        assert (await _shape(fresh))[0] == (await _shape(replayed))[0]
    finally:
        await fresh.dispose()
        await replayed.dispose()
