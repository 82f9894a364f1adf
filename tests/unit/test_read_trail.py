"""The group commit of reads' audit entries (shared/auth/trail.py ReadTrail): the entries of reads
finishing together commit in one transaction, each read returns only once its entry has committed,
and one entry that cannot be written fails its own read only. A SQLite file stands in for a
service's database, and PostgreSQL where it runs in the integration suite's contract."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, event, func, select

from shared.audit import AuditRecord, define_audit_table, link_all, verify_chain
from shared.auth.scope import CrossTenantWrite
from shared.auth.trail import ReadTrail
from shared.db import Database, utcnow
from tests.unit.test_data_scope import Household
from tests.unit.test_data_scope import metadata as scoped_metadata

metadata = MetaData()
audit_log = define_audit_table(metadata)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+inline:///{tmp_path / 'trail.db'}", schema="test")
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.run_sync(scoped_metadata.create_all)
    yield database
    await database.dispose()


def entry(n: int, **changes: Any) -> AuditRecord:
    values: dict[str, Any] = {
        "at": utcnow(),
        "service": "test",
        "subject": f"staff-{n}",
        "tenant_id": "016314",
        "organisation_id": "016314-town",
        "roles": ("coordinator",),
        "action": "read",
        "resource": "consultation",
        "resource_id": f"c-{n}",
        "purpose": None,
        "request_id": f"req-{n}",
        "outcome": "allowed",
        "status": 200,
    }
    values.update(changes)
    return AuditRecord(**values)


def inserts_of(db: Database) -> list[int]:
    """The INSERTs into the audit table, one item each: the number of rows it wrote."""
    counted: list[int] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _executing(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if statement.startswith(f"INSERT INTO {audit_log.name}"):
            counted.append(len(parameters) if many else 1)

    return counted


async def stored(db: Database) -> set[str]:
    async with db.reading() as session:
        return set(await session.scalars(select(audit_log.c.subject)))


async def test_reads_finishing_together_share_one_transaction_and_each_waits_for_it(db: Database) -> None:
    trail = ReadTrail(db, audit_log)
    inserts = inserts_of(db)
    seen_at_return: list[bool] = []

    async def read(n: int) -> None:
        await trail.commit(entry(n))
        # The answer may leave now: the entry is in the database, visible to anyone.
        seen_at_return.append(f"staff-{n}" in await stored(db))

    await asyncio.gather(*(read(n) for n in range(20)))

    assert await stored(db) == {f"staff-{n}" for n in range(20)}
    assert seen_at_return == [True] * 20
    # The first read's transaction, then one for all that queued while it ran: not twenty.
    assert sum(inserts) == 20 and len(inserts) <= 2, inserts
    async with db.transaction() as session:
        assert await link_all(session, audit_log) == 20
    async with db.reading() as session:
        assert (await verify_chain(session, audit_log)).ok


async def test_one_entry_that_cannot_be_written_fails_its_own_read_only(db: Database) -> None:
    trail = ReadTrail(db, audit_log)
    too_long = entry(99, resource_id="x" * 500)

    results = await asyncio.gather(
        *(trail.commit(entry(n)) for n in range(5)), trail.commit(too_long), return_exceptions=True
    )

    assert results[:5] == [None] * 5
    assert isinstance(results[5], ValueError)
    assert await stored(db) == {f"staff-{n}" for n in range(5)}


async def test_rows_staged_by_a_read_commit_with_its_entry_and_only_for_its_tenant(db: Database) -> None:
    trail = ReadTrail(db, audit_log)
    own = Household(id="h-1", tenant_id="016314", organisation_id="016314-town")
    foreign = Household(id="h-2", tenant_id="223417", organisation_id="223417-town")

    results = await asyncio.gather(
        trail.commit(entry(1), [own]), trail.commit(entry(2), [foreign]), return_exceptions=True
    )

    assert results[0] is None
    assert isinstance(results[1], CrossTenantWrite)
    assert await stored(db) == {"staff-1"}
    async with db.reading() as session:
        assert set(await session.scalars(select(Household.id))) == {"h-1"}
        assert await session.scalar(select(func.count()).select_from(audit_log)) == 1
