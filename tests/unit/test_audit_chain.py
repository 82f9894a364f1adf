"""The audit trail's hash chain, its queries and its CSV, on SQLite: entries appended unlinked, and
linked into the chain by the sequencer (`link_pending`).

`AuditChainContract` holds the behaviour every backend must show; the PostgreSQL suite subclasses it.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import hashlib
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, delete, select, update

from shared.audit import (
    AUDIT_GENESIS,
    AuditFilters,
    AuditRecord,
    ChainReport,
    append,
    define_audit_table,
    link_all,
    link_pending,
    query,
    to_csv,
    verify_chain,
)
from shared.db import Database, service_metadata
from shared.errors import InvalidInput
from shared.pagination import encode_cursor

JST = timezone(timedelta(hours=9))
T0 = datetime(2026, 4, 1, 0, 30, 0, 123456, tzinfo=UTC)


def make_record(**overrides: Any) -> AuditRecord:
    values: dict[str, Any] = {
        "at": T0,
        "service": "intake",
        "subject": "staff-001",
        "tenant_id": "131016",
        "organisation_id": "org-中央区社協",
        "roles": ("supporter", "coordinator"),
        "action": "read",
        "resource": "consultation",
        "resource_id": "c-1",
        "purpose": "支援会議の準備のため",
        "request_id": "req-1",
        "outcome": "allowed",
        "status": 200,
    }
    values.update(overrides)
    return AuditRecord(**values)


@dataclass
class AuditStore:
    db: Database
    table: Table

    async def append_many(self, count: int, **overrides: Any) -> list[str]:
        """`count` entries, each in its transaction, then linked as the sequencer would; their hashes."""
        ids = []
        for i in range(count):
            async with self.db.transaction() as session:
                record = make_record(at=T0 + timedelta(seconds=i), resource_id=f"c-{i}", **overrides)
                ids.append(await append(session, self.table, record))
        await self.link()
        by_id = {row["id"]: row["hash"] for row in await self.rows()}
        return [by_id[entry_id] for entry_id in ids]

    async def link(self, *, batch: int = 1000) -> int:
        async with self.db.transaction() as session:
            return await link_pending(session, self.table, batch=batch)

    async def verify(self, *, batch: int = 5000) -> ChainReport:
        async with self.db.transaction() as session:
            return await verify_chain(session, self.table, batch=batch)

    async def seqs(self) -> list[int]:
        async with self.db.transaction() as session:
            return list((await session.scalars(select(self.table.c.seq).order_by(self.table.c.seq))).all())

    async def rows(self) -> list[dict[str, Any]]:
        async with self.db.transaction() as session:
            result = await session.execute(select(self.table).order_by(self.table.c.seq))
            return [dict(row) for row in result.mappings()]

    async def tamper(self, seq: int, **values: Any) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(self.table).where(self.table.c.seq == seq).values(**values))

    async def remove(self, seq: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(delete(self.table).where(self.table.c.seq == seq))

    async def page(
        self, filters: AuditFilters, *, cursor: str | None = None, limit: int = 50
    ) -> tuple[list[dict[str, Any]], str | None]:
        async with self.db.transaction() as session:
            return await query(session, self.table, filters, cursor=cursor, limit=limit)


class AuditChainContract:
    """Subclasses provide the `store` fixture on their backend."""

    async def test_an_untouched_chain_verifies(self, store: AuditStore) -> None:
        hashes = await store.append_many(5)

        report = await store.verify()

        assert report.ok and report.entries == 5
        assert report.first_broken_seq is None and report.reason is None
        rows = await store.rows()
        assert [r["hash"] for r in rows] == hashes
        assert [r["prev_hash"] for r in rows] == [AUDIT_GENESIS, *hashes[:-1]]

    async def test_an_empty_chain_verifies(self, store: AuditStore) -> None:
        report = await store.verify()

        assert report.ok and report.entries == 0

    async def test_the_hash_follows_the_published_recipe(self, store: AuditStore) -> None:
        # Auditors may recompute it with their own tools, so the recipe is part of the contract.
        record = make_record(at=datetime(2026, 4, 1, 9, 30, tzinfo=JST), roles=("b", "a"))
        async with store.db.transaction() as session:
            returned = await append(session, store.table, record)
        await store.link()

        (row,) = await store.rows()
        assert returned == row["id"]
        fields = {k: row[k] for k in row if k not in ("seq", "link", "prev_hash", "hash")}
        fields["at"] = "2026-04-01T00:30:00.000000+00:00"
        assert fields["roles"] == "a,b"
        canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        expected = hashlib.sha256((AUDIT_GENESIS + canonical).encode("utf-8")).hexdigest()
        assert row["hash"] == expected

    @pytest.mark.parametrize(
        "change",
        [
            {"purpose": "別の目的"},
            {"resource_id": "c-999"},
            {"subject": "staff-002"},
            {"outcome": "denied"},
            {"status": 403},
            {"roles": "admin"},
            {"tenant_id": None},
            {"at": T0 + timedelta(microseconds=1)},
        ],
        ids=lambda change: next(iter(change)),
    )
    async def test_an_altered_entry_is_named(self, store: AuditStore, change: dict[str, Any]) -> None:
        await store.append_many(5)
        seqs = await store.seqs()

        await store.tamper(seqs[2], **change)
        report = await store.verify()

        assert not report.ok
        assert report.first_broken_seq == seqs[2]
        assert report.entries == 2
        assert report.reason is not None and "hash" in report.reason

    async def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link(
        self, store: AuditStore
    ) -> None:
        await store.append_many(4)
        seqs = await store.seqs()

        await store.tamper(seqs[1], hash="f" * 64)
        report = await store.verify()

        # Its own hash no longer matches; had the forger fixed that, the next link would not.
        assert report.first_broken_seq == seqs[1]

    async def test_a_removed_middle_entry_is_detected(self, store: AuditStore) -> None:
        await store.append_many(5)
        seqs = await store.seqs()

        await store.remove(seqs[2])
        report = await store.verify()

        assert not report.ok and report.first_broken_seq == seqs[3]

    async def test_a_removed_first_entry_is_detected(self, store: AuditStore) -> None:
        await store.append_many(3)
        seqs = await store.seqs()

        await store.remove(seqs[0])
        report = await store.verify()

        assert not report.ok and report.first_broken_seq == seqs[1]

    async def test_swapped_entries_are_detected(self, store: AuditStore) -> None:
        await store.append_many(5)
        rows = await store.rows()
        first, second = rows[1], rows[2]

        swapped = {k: v for k, v in second.items() if k not in ("seq", "link", "id", "hash")}
        await store.tamper(first["seq"], id="tmp-1", hash="tmp-1", **swapped)
        await store.tamper(second["seq"], **{k: v for k, v in first.items() if k not in ("seq", "link")})
        await store.tamper(first["seq"], id=second["id"], hash=second["hash"])
        report = await store.verify()

        assert not report.ok and report.first_broken_seq == first["seq"]

    async def test_swapped_hashes_are_detected(self, store: AuditStore) -> None:
        await store.append_many(5)
        rows = await store.rows()

        await store.tamper(rows[3]["seq"], hash="tmp")
        await store.tamper(rows[1]["seq"], hash=rows[3]["hash"])
        await store.tamper(rows[3]["seq"], hash=rows[1]["hash"])
        report = await store.verify()

        assert not report.ok and report.first_broken_seq == rows[1]["seq"]

    async def test_verification_streams_in_batches(self, store: AuditStore) -> None:
        await store.append_many(7)
        seqs = await store.seqs()

        assert (await store.verify(batch=2)).entries == 7
        assert (await store.verify(batch=7)).entries == 7
        await store.tamper(seqs[5], purpose="改ざん")
        report = await store.verify(batch=2)
        assert report.first_broken_seq == seqs[5] and report.entries == 5

    async def test_concurrent_appends_and_sequencers_keep_one_chain(self, store: AuditStore) -> None:
        # Appenders take no lock and read no head; several sequencers at once link each entry once.
        count = 20
        barrier = asyncio.Barrier(count)

        async def one(i: int) -> str:
            async with store.db.sessions() as session:
                await barrier.wait()
                async with session.begin():
                    return await append(session, store.table, make_record(resource_id=f"c-{i}"))

        ids = await asyncio.gather(*(one(i) for i in range(count)))
        linked = await asyncio.gather(*(store.link(batch=3) for _ in range(4)))
        while await store.link(batch=3):
            pass

        report = await store.verify()
        assert report.ok and (report.entries, report.unlinked) == (count, 0)
        assert sum(linked) <= count
        rows = await store.rows()
        assert {r["id"] for r in rows} == set(ids)
        assert sorted(r["link"] for r in rows) == list(range(1, count + 1))
        assert len({r["prev_hash"] for r in rows}) == count

    async def test_unlinked_entries_are_counted_and_linked_at_the_next_run(self, store: AuditStore) -> None:
        await store.append_many(2)
        async with store.db.transaction() as session:
            await append(session, store.table, make_record(resource_id="late"))

        before = await store.verify()
        assert (before.ok, before.entries, before.unlinked) == (True, 2, 1)
        (late,) = [r for r in await store.rows() if r["resource_id"] == "late"]
        assert (late["link"], late["prev_hash"], late["hash"]) == (None, None, None)

        assert await store.link() == 1
        assert await store.link() == 0
        after = await store.verify()
        assert (after.ok, after.entries, after.unlinked) == (True, 3, 0)
        async with store.db.transaction() as session:
            assert await link_all(session, store.table) == 0

    async def test_an_entry_that_rolls_back_leaves_the_chain_intact(self, store: AuditStore) -> None:
        await store.append_many(2)
        with pytest.raises(RuntimeError, match="use case failed"):
            async with store.db.transaction() as session:
                await append(session, store.table, make_record())
                raise RuntimeError("use case failed")
        await store.append_many(1)

        report = await store.verify()
        assert report.ok and report.entries == 3

    async def test_records_the_chain_cannot_hold_are_refused(self, store: AuditStore) -> None:
        refused = [
            make_record(at=datetime(2026, 4, 1, 9, 0)),
            make_record(outcome="ok"),
            make_record(roles=("a,b",)),
            make_record(purpose="あ" * 401),
            make_record(tenant_id="1310160"),
        ]
        async with store.db.transaction() as session:
            for record in refused:
                with pytest.raises(ValueError):
                    await append(session, store.table, record)

        assert await store.rows() == []

    async def test_query_filters(self, store: AuditStore) -> None:
        await store.append_many(3)
        await store.append_many(2, tenant_id="272000", subject="staff-大阪")
        async with store.db.transaction() as session:
            await append(session, store.table, make_record(action="update", resource_id="c-9"))
            await append(
                session,
                store.table,
                make_record(
                    tenant_id=None,
                    organisation_id=None,
                    subject="anonymous",
                    roles=(),
                    action="denied",
                    outcome="denied",
                    status=401,
                ),
            )

        async def ids(**filters: Any) -> list[str | None]:
            rows, _ = await store.page(AuditFilters(**filters))
            return [r["resource_id"] for r in rows]

        assert await ids(tenant_id="272000") == ["c-1", "c-0"]
        assert await ids(subject="staff-大阪") == ["c-1", "c-0"]
        assert await ids(tenant_id="131016", action="update") == ["c-9"]
        assert await ids(outcome="denied") == ["c-1"]
        assert await ids(resource="consultation", resource_id="c-2") == ["c-2"]
        assert await ids(organisation_id="nowhere") == []
        assert await ids(
            tenant_id="131016", at_from=T0 + timedelta(seconds=1), at_to=T0 + timedelta(seconds=2)
        ) == ["c-1"]
        assert await ids(at_from=(T0 + timedelta(seconds=2)).astimezone(JST), tenant_id="131016") == ["c-2"]

    async def test_query_rows_are_plain_dicts(self, store: AuditStore) -> None:
        await store.append_many(1)

        (row,), _ = await store.page(AuditFilters())

        assert row["at"] == T0 and row["at"].tzinfo is not None
        assert row["roles"] == "coordinator,supporter"
        assert row["prev_hash"] == AUDIT_GENESIS and len(row["hash"]) == 64
        assert row["purpose"] == "支援会議の準備のため"

    async def test_pages_cover_every_entry_once_newest_first(self, store: AuditStore) -> None:
        await store.append_many(11)
        await store.append_many(3, tenant_id="272000")

        seen: list[int] = []
        cursor: str | None = None
        pages = 0
        while True:
            rows, cursor = await store.page(AuditFilters(tenant_id="131016"), cursor=cursor, limit=4)
            seen.extend(r["seq"] for r in rows)
            pages += 1
            if cursor is None:
                break
            # An entry written meanwhile is newer than every page: it neither shifts nor repeats.
            await store.append_many(1)

        assert pages == 3
        assert len(seen) == 11 and seen == sorted(seen, reverse=True)
        tenant_seqs = [r["seq"] for r in await store.rows() if r["tenant_id"] == "131016"][:11]
        assert sorted(seen) == tenant_seqs

    async def test_an_exact_last_page_has_no_cursor(self, store: AuditStore) -> None:
        await store.append_many(4)

        rows, cursor = await store.page(AuditFilters(), limit=4)

        assert len(rows) == 4 and cursor is None

    @pytest.mark.parametrize("cursor", ["not-a-cursor", encode_cursor(["x"]), encode_cursor([1, 2])])
    async def test_a_bad_cursor_is_invalid_input(self, store: AuditStore, cursor: str) -> None:
        with pytest.raises(InvalidInput):
            await store.page(AuditFilters(), cursor=cursor)


class TestAuditChainSqlite(AuditChainContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[AuditStore]:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/a.db", schema="x")
        metadata = service_metadata()
        table = define_audit_table(metadata)
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        try:
            yield AuditStore(db, table)
        finally:
            await db.dispose()


def test_naive_filter_times_are_refused() -> None:
    with pytest.raises(ValueError):
        AuditFilters(at_from=datetime(2026, 4, 1))


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _entry(**overrides: Any) -> dict[str, Any]:
    row = {
        **dataclasses.asdict(make_record()),
        "roles": "coordinator,supporter",
        "seq": 1,
        "id": "e-1",
        "prev_hash": AUDIT_GENESIS,
        "hash": "a" * 64,
    }
    row.update(overrides)
    return row


def test_the_csv_opens_in_excel_as_japanese_text() -> None:
    data = to_csv([_entry()])

    assert data.startswith(b"\xef\xbb\xbf")
    header, row = _csv_rows(data)
    assert header == [
        "日時",
        "サービス",
        "利用者",
        "自治体コード",
        "組織",
        "ロール",
        "操作",
        "対象",
        "対象ID",
        "目的",
        "リクエストID",
        "結果",
        "ステータス",
        "前ハッシュ",
        "ハッシュ",
    ]
    assert row[0] == "2026-04-01T00:30:00.123456+00:00"
    assert row[5] == "coordinator,supporter"
    assert row[9] == "支援会議の準備のため"
    assert row[12] == "200"
    assert row[13:] == [AUDIT_GENESIS, "a" * 64]


def test_csv_lines_end_in_crlf_and_fields_are_escaped() -> None:
    data = to_csv([_entry(purpose='面談, "記録"\n確認', resource_id=None)])

    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.count("\r\n") == 2
    _, row = _csv_rows(data)
    assert row[9] == '面談, "記録"\n確認'
    assert row[8] == ""


@pytest.mark.parametrize(
    "dangerous", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "＝1+1"]
)
def test_a_cell_that_looks_like_a_formula_is_neutralised(dangerous: str) -> None:
    _, row = _csv_rows(to_csv([_entry(purpose=dangerous, subject=dangerous)]))

    assert row[9] == "'" + dangerous
    assert row[2] == "'" + dangerous


def test_an_empty_export_is_just_the_header() -> None:
    assert len(_csv_rows(to_csv([]))) == 1
