"""Alembic per service: each service's `migrations/` folder, its own version table, its own schema."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, text
from sqlalchemy.engine import Connection

from shared.db import Database, UTCDateTime

if TYPE_CHECKING:
    # Alembic (with Mako and Pygments under it) is imported only when a revision is to be run or
    # written: an embedded start on a new or an up-to-date database has no use for it.
    from alembic.config import Config

log = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"


def alembic_config(migrations_dir: Path, schema: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.attributes["schema"] = schema
    return config


async def upgrade(db: Database, migrations_dir: Path, revision: str = "head") -> None:
    """Bring the service's schema to `revision`. Safe to run from several replicas at once."""
    if db.is_sqlite:
        heads = script_heads(migrations_dir) if revision == "head" else None
        if heads is not None and await _at_head_sqlite(db, heads):
            return
        from_models = revision == "head" and db.metadata is not None
        if from_models and await _create_fresh_sqlite(db, migrations_dir, heads):
            return
        await _upgrade_sqlite(db, alembic_config(migrations_dir, db.schema), revision)
        return
    config = alembic_config(migrations_dir, db.schema)
    async with db.engine.begin() as conn:
        # Replicas of one service starting together take turns; other services do not wait.
        await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": f"migrate:{db.schema}"})
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(_run_command, config, "upgrade", revision)


def script_heads(migrations_dir: Path) -> frozenset[str] | None:
    """The head revisions of a service's `versions/`, read from the files' literal `revision` and
    `down_revision` without importing them (nor Alembic). None when a file says them in any other
    way, or uses branch labels or dependencies: then Alembic itself is asked, as before."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((migrations_dir / "versions").glob("*.py")):
        if path.name.startswith(("__init__", ".#")):  # what Alembic skips too
            continue
        said = _literal_assignments(path)
        revision, down = said.get("revision"), said.get("down_revision", _NOT_LITERAL)
        if not isinstance(revision, str) or said.get("branch_labels") or said.get("depends_on"):
            return None
        if isinstance(down, str):
            down = (down,)
        if not (down is None or (isinstance(down, tuple) and all(isinstance(d, str) for d in down))):
            return None
        revisions.add(revision)
        parents.update(down or ())
    heads = frozenset(revisions - parents)
    return heads or None


# `revision: str = "0006_…"` and the like at the start of a line, as Alembic's template writes them.
_DECLARED = re.compile(r"^(revision|down_revision|branch_labels|depends_on)\b[^=\n]*=(.*)$", re.MULTILINE)


def _literal_assignments(path: Path) -> dict[str, Any]:
    """The revision's module-level declarations, each the literal it is set to (`_NOT_LITERAL`
    for anything else, or for a name declared twice). Read by a pattern, not by parsing: the
    revision files are most of a service's source, and parsing them all would cost a start more
    than Alembic's import saves."""
    said: dict[str, Any] = {}
    for name, value in _DECLARED.findall(path.read_text(encoding="utf-8")):
        try:
            literal = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            literal = _NOT_LITERAL
        said[name] = _NOT_LITERAL if name in said else literal
    return said


_NOT_LITERAL = object()


def _version_table() -> Table:
    """Alembic's version table as Alembic makes it (`DefaultImpl.version_table_impl`)."""
    return Table(
        VERSION_TABLE,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )


async def _at_head_sqlite(db: Database, heads: frozenset[str]) -> bool:
    """Whether the database's version table holds exactly `heads`: nothing to run."""
    async with db.engine.connect() as conn:
        has_table = (
            await conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
            )
        ).scalar()
        if not has_table:
            return False
        current = (await conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return frozenset(current) == heads


async def _create_fresh_sqlite(db: Database, migrations_dir: Path, heads: frozenset[str] | None) -> bool:
    """A new embedded database (no table yet) is made from the models at once and stamped at head,
    instead of replaying every revision (Alembic's recipe for new databases): `make run` on a fresh
    machine starts in well under a second per service. The models and the revisions give the same
    schema (tests/migrations/test_migrations_match_models.py), and the revisions themselves are run
    by the migration tests and on PostgreSQL. The stamp is Alembic's own row(s) in Alembic's own
    version table, written here when the heads are known from the files (`script_heads`).
    False: the database exists; upgrade it as usual."""
    assert db.metadata is not None
    async with db.engine.begin() as conn:
        tables = (
            await conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        ).scalar()
        if tables:
            return False
        await conn.run_sync(db.metadata.create_all)
        if heads is None:
            config = alembic_config(migrations_dir, db.schema)
            await conn.run_sync(_run_command, config, "stamp", "head")
        else:
            version = _version_table()
            await conn.run_sync(version.create)
            await conn.execute(version.insert(), [{"version_num": head} for head in sorted(heads)])
            log.info("%s: a new database, made from the models at %s", db.schema, ", ".join(sorted(heads)))
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
    from alembic import command

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
    from alembic import context

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
