"""Every service's migrations, run to head on PostgreSQL, give exactly the tables its models declare."""

from __future__ import annotations

import pytest

from shared.db import Database
from shared.migrations import upgrade
from tests.migrations.test_migrations_match_models import SERVICES, definition_of, differences


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_give_the_models_tables_on_postgresql(service: str, database_url: str) -> None:
    definition = definition_of(service)
    db = Database(database_url, schema=service)
    try:
        await upgrade(db, definition.migrations)
        async with db.engine.connect() as conn:
            assert await conn.run_sync(differences, definition, None) == []
    finally:
        await db.dispose()
