"""Alembic per service: each service's `migrations/` folder, its own version table, its own schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from shared.db import Database, UTCDateTime


def alembic_config(migrations_dir: Path, schema: str) -> Config:
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.attributes["schema"] = schema
    return config


async def upgrade(db: Database, migrations_dir: Path, revision: str = "head") -> None:
    """Bring the service's schema to `revision`. Safe to run from several replicas at once."""
    config = alembic_config(migrations_dir, db.schema)
    if db.is_sqlite:
        if revision == "head" and db.metadata is not None and await _create_fresh_sqlite(db, config):
            return
        await _upgrade_sqlite(db, config, revision)
        return
    async with db.engine.begin() as conn:
        # Replicas of one service starting together take turns; other services do not wait.
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": f"migrate:{db.schema}"})
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(_run_command, config, "upgrade", revision)


async def _create_fresh_sqlite(db: Database, config: Config) -> bool:
    """A new embedded database (no table yet) is made from the models at once and stamped at head,
    instead of replaying every revision (Alembic's recipe for new databases): `make run` on a fresh
    machine starts in well under a second per service. The models and the revisions give the same
    schema (tests/migrations/test_migrations_match_models.py), and the revisions themselves are run
    by the migration tests and on PostgreSQL. False: the database exists; upgrade it as usual."""
    assert db.metadata is not None
    async with db.engine.begin() as conn:
        tables = (
            await conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        ).scalar()
        if tables:
            return False
        await conn.run_sync(db.metadata.create_all)
        await conn.run_sync(_run_command, config, "stamp", "head")
    return True


async def _upgrade_sqlite(db: Database, config: Config, revision: str) -> None:
    """SQLite alters a column by rebuilding the table (copy, drop, rename), which its foreign keys
    refuse while other rows point at the table. SQLite's own procedure: keys off outside the
    transaction, migrate, check every key, commit."""
    async with db.engine.connect() as conn:
        # On the driver's connection: SQLAlchemy would open a transaction first, where the pragma is a no-op.
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute("PRAGMA foreign_keys=OFF")
        try:
            async with conn.begin():
                await conn.run_sync(_run_command, config, "upgrade", revision)
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
        finally:
            # Never hand a connection without foreign keys back to the pool.
            await conn.invalidate()


async def autogenerate(db: Database, migrations_dir: Path, message: str) -> None:
    """Write a new revision from the difference between the models and the database at head."""
    config = alembic_config(migrations_dir, db.schema)
    await upgrade(db, migrations_dir)
    async with db.engine.begin() as conn:
        await conn.run_sync(_run_command, config, "revision", message)


def _run_command(connection: Connection, config: Config, name: str, arg: str) -> None:
    config.attributes["connection"] = connection
    if name == "upgrade":
        command.upgrade(config, arg)
    elif name == "stamp":
        command.stamp(config, arg)
    else:
        command.revision(config, message=arg, autogenerate=True)


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """A new revision names plain SQLAlchemy types, never our code: a migration is frozen history,
    and must still run when shared/ has moved on. UTCDateTime is a timestamp with time zone."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (alembic's `context` is the running one)."""
    connection: Connection | None = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `python -m services.cli migrate`")
    schema: str = context.config.attributes["schema"]
    is_sqlite = connection.dialect.name == "sqlite"
    options: dict[str, Any] = {
        "connection": connection,
        "target_metadata": metadata,
        "compare_type": True,
        "render_as_batch": is_sqlite,
        "render_item": _render_item,
    }
    if not is_sqlite:
        options["version_table_schema"] = schema
    context.configure(**options)
    with context.begin_transaction():
        context.run_migrations()
