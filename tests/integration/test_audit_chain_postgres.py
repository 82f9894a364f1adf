"""The audit chain contract on PostgreSQL, plus what only PostgreSQL does: the append-only trigger
and the refusal of transactions that would fork the chain."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import APPEND_ONLY_SQL, append, define_audit_table, forbid_changes_on_postgres, link_pending
from shared.db import Database, service_metadata
from tests.unit.test_audit_chain import AuditChainContract, AuditStore, make_record

SCHEMA = "audit_test"


class TestAuditChainPostgres(AuditChainContract):
    @pytest.fixture
    async def store(self, database_url: str) -> AsyncIterator[AuditStore]:
        db = Database(database_url, schema=SCHEMA)
        metadata = service_metadata()
        table = define_audit_table(metadata)
        async with db.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
            await conn.run_sync(metadata.create_all)
        try:
            yield AuditStore(db, table)
        finally:
            await db.dispose()

    async def test_the_table_lives_in_the_service_schema(self, store: AuditStore) -> None:
        await store.append_many(1)
        async with store.db.transaction() as session:
            found = await session.scalar(text("SELECT to_regclass('audit_test.audit_log') IS NOT NULL"))
        assert found

    async def test_after_the_migration_sql_entries_cannot_change(self, store: AuditStore) -> None:
        await store.append_many(3)
        async with store.db.engine.begin() as conn:
            await forbid_changes_on_postgres(conn)
            await forbid_changes_on_postgres(conn)  # idempotent, as a re-run migration would be
        seq = (await store.seqs())[1]

        for statement in (
            update(store.table).where(store.table.c.seq == seq).values(purpose="改ざん"),
            delete(store.table).where(store.table.c.seq == seq),
            text("TRUNCATE audit_log"),
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                async with store.db.transaction() as session:
                    await session.execute(statement)

        await store.append_many(1)
        report = await store.verify()
        assert report.ok and report.entries == 4

    async def test_the_migration_sql_runs_statement_by_statement(self, store: AuditStore) -> None:
        # What an Alembic migration does with op.execute(), one statement at a time.
        async with store.db.engine.begin() as conn:
            for statement in APPEND_ONLY_SQL:
                await conn.execute(text(statement))
        await store.append_many(1)
        with pytest.raises(DBAPIError, match="append-only"):
            async with store.db.transaction() as session:
                await session.execute(delete(store.table))

    async def test_a_read_only_transaction_cannot_append(self, store: AuditStore) -> None:
        with pytest.raises(DBAPIError, match="read-only"):
            async with store.db.reading() as session:
                await append(session, store.table, make_record())

    async def test_a_repeatable_read_snapshot_cannot_link(self, store: AuditStore) -> None:
        # Its snapshot may predate the head another sequencer committed just before the lock came.
        async with store.db.transaction() as session:
            await append(session, store.table, make_record())
        engine = store.db.engine.execution_options(isolation_level="REPEATABLE READ")
        async with engine.connect() as conn, conn.begin(), AsyncSession(bind=conn) as session:
            with pytest.raises(RuntimeError, match="REPEATABLE READ"):
                await link_pending(session, store.table)

    async def test_an_unlinked_entry_can_be_linked_but_not_changed(self, store: AuditStore) -> None:
        async with store.db.engine.begin() as conn:
            await forbid_changes_on_postgres(conn)
        async with store.db.transaction() as session:
            await append(session, store.table, make_record(purpose="元の目的"))
        (seq,) = await store.seqs()

        for changed in ({"purpose": "改ざん"}, {"purpose": "改ざん", "link": 1, "prev_hash": "0" * 64}):
            with pytest.raises(DBAPIError, match="append-only"):
                async with store.db.transaction() as session:
                    await session.execute(
                        update(store.table).where(store.table.c.seq == seq).values(**changed)
                    )
        assert await store.link() == 1
        with pytest.raises(DBAPIError, match="append-only"):  # linked, it is never linked again
            async with store.db.transaction() as session:
                await session.execute(update(store.table).values(link=None, hash=None, prev_hash=None))
        report = await store.verify()
        assert report.ok and report.entries == 1
