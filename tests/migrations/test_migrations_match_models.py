"""Every service's migrations, run to head, give exactly the tables its models declare (here on
SQLite; tests/integration/test_migrations_postgres.py on PostgreSQL), so an upgraded data folder and
a fresh one end up the same."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from shared.db import Database
from shared.migrations import upgrade
from shared.runtime import ServiceDefinition

SERVICES = ["intake", "coordination", "participation", "outreach", "directory"]


def definition_of(service: str) -> ServiceDefinition:
    return importlib.import_module(f"services.{service}.app").definition  # type: ignore[no-any-return]


def differences(connection: Connection, definition: ServiceDefinition, schema: str | None) -> list[Any]:
    options: dict[str, Any] = {"compare_type": True}
    if schema is not None:
        options["include_schemas"] = True
        options["include_name"] = lambda name, kind, _: kind != "schema" or name == schema
    context = MigrationContext.configure(connection, opts=options)
    ignored = {"alembic_version"}
    return [
        d
        for d in compare_metadata(context, definition.metadata)
        if not (d[0] == "remove_table" and d[1].name in ignored)
    ]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_give_the_models_tables_on_sqlite(service: str, tmp_path: Path) -> None:
    definition = definition_of(service)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", schema=service)
    try:
        await upgrade(db, definition.migrations)
        async with db.engine.connect() as conn:
            assert await conn.run_sync(differences, definition, None) == []
    finally:
        await db.dispose()
