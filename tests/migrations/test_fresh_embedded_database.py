"""A new embedded database is made from the models and stamped at head, not by replaying every
revision: it must come out as the revisions would make it, and upgrade normally from then on."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from shared.db import Database
from shared.migrations import alembic_config, script_heads, upgrade
from tests.migrations.test_migrations_match_models import definition_of

SERVICES = ("intake", "coordination", "participation", "outreach", "directory")


async def _shape(db: Database) -> tuple[str, str, dict[str, list[tuple[str, str, int]]], list[str]]:
    async with db.engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        version_table = (
            await conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'alembic_version'"))
        ).scalar_one()
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
        return version, version_table, tables, sorted(indexes)


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


@pytest.mark.parametrize("service", SERVICES)
def test_the_heads_read_from_the_revision_files_are_alembics(service: str) -> None:
    migrations = definition_of(service).migrations
    alembics = ScriptDirectory.from_config(alembic_config(migrations, service)).get_heads()
    assert script_heads(migrations) == frozenset(alembics)


@pytest.mark.parametrize(
    "said",
    [
        'revision = "b" + ""\ndown_revision = "a"\n',
        'revision = "b"\n',
        'revision = "b"\ndown_revision = "a"\nbranch_labels = ("x",)\n',
        'revision = "b"\ndown_revision = "a"\ndepends_on = "other"\n',
        'revision = "b"\ndown_revision = ["a"]\n',
        'revision = "b"\ndown_revision = "a"\nrevision = "c"\n',
    ],
)
def test_heads_said_any_other_way_are_left_to_alembic(said: str, tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_a.py").write_text('revision: str = "a"\ndown_revision: str | None = None\n')
    assert script_heads(tmp_path) == frozenset({"a"})
    (versions / "0002_b.py").write_text(said)
    assert script_heads(tmp_path) is None


def test_a_merge_leaves_one_head(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "__init__.py").write_text("")
    (versions / "a.py").write_text('revision = "a"\ndown_revision = None\n')
    (versions / "b.py").write_text('revision = "b"  # a comment\ndown_revision: str = "a"\n')
    (versions / "c.py").write_text('revision = "c"\ndown_revision = "a"\n')
    assert script_heads(tmp_path) == frozenset({"b", "c"})
    (versions / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')
    assert script_heads(tmp_path) == frozenset({"d"})
