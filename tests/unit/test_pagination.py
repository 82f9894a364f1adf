"""Keyset pagination: opaque cursors over a stable (sort keys, id) order."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Date, Integer, String, Table, case, select

from shared.db import Database, UTCDateTime, service_metadata
from shared.errors import InvalidInput
from shared.pagination import Ordering, SortKey, decode_cursor, encode_cursor, keyset_page


def test_a_cursor_round_trips_its_position() -> None:
    position = ["2026-11-20T01:30:00+00:00", "7c9e6679-7425-40de-944b-e07fc1f90ae7"]

    assert decode_cursor(encode_cursor(position), arity=2) == position


def test_a_cursor_is_url_safe_and_unpadded() -> None:
    cursor = encode_cursor(["ケース?&=/+", 1])

    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor, arity=2) == ["ケース?&=/+", 1]


def _unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("!!!not a cursor!!!", id="garbage"),
        pytest.param("a", id="truncated base64"),
        pytest.param(_unpadded(b"\xff\xfe\xfd"), id="not utf-8"),
        pytest.param(_unpadded(b"{not json"), id="not json"),
        pytest.param(_unpadded(json.dumps({"a": 1}).encode()), id="not a list"),
        pytest.param(encode_cursor(["only one"]), id="wrong arity"),
        pytest.param("", id="empty"),
    ],
)
def test_a_cursor_that_is_not_ours_is_invalid_input_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as error:
        decode_cursor(cursor, arity=2)

    assert error.value.status == 422
    assert [f.field for f in error.value.fields] == ["cursor"]


# --- keyset_page: the one helper every list pages with ------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    group: int
    at: datetime
    day: date
    name: str


def _rows() -> list[Row]:
    """23 rows whose sort keys repeat a lot: runs of equal keys straddle every page boundary."""
    start = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    return [
        Row(
            id=f"r-{(i * 7) % 23:02d}",
            group=i % 3,
            at=start + timedelta(minutes=i // 5),
            day=date(2026, 4, 1 + i // 6),
            name=["かいご", "らんらん", "かいご", "しゅうろう"][i % 4],
        )
        for i in range(23)
    ]


@pytest.fixture
async def listing(tmp_path: Path) -> AsyncIterator[tuple[Database, Table]]:
    metadata = service_metadata()
    table = Table(
        "listing",
        metadata,
        Column("id", String(20), primary_key=True),
        Column("grp", Integer, nullable=False),
        Column("at", UTCDateTime, nullable=False),
        Column("day", Date, nullable=False),
        Column("name", String(50), nullable=False),
    )
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'listing.db'}", schema="listing")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with db.transaction() as session:
        await session.execute(
            table.insert(),
            [{"id": r.id, "grp": r.group, "at": r.at, "day": r.day, "name": r.name} for r in _rows()],
        )
    yield db, table
    await db.dispose()


async def _every_page(db: Database, query: Any, ordering: Ordering, *, limit: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    cursor: str | None = None
    pages = 0
    while True:
        async with db.transaction() as session:
            page, cursor = await keyset_page(session, query, ordering, cursor=cursor, limit=limit)
        pages += 1
        assert len(page) <= limit
        items.extend(page)
        if cursor is None:
            return items, pages
        assert pages < 100, "paging never ends"


@pytest.mark.parametrize("limit", [1, 2, 4, 5, 22, 23, 50])
async def test_every_row_comes_exactly_once_and_in_order_whatever_the_page_size(listing, limit) -> None:
    db, table = listing
    ordering = Ordering(
        "listing",
        SortKey(table.c.grp, int),
        SortKey(table.c.at, datetime, descending=True),
        SortKey(table.c.name, str),
        SortKey(table.c.id, str, descending=True),
    )

    items, pages = await _every_page(db, select(table), ordering, limit=limit)

    expected = sorted(_rows(), key=lambda r: r.id, reverse=True)
    expected = sorted(expected, key=lambda r: r.name)
    expected = sorted(expected, key=lambda r: r.at, reverse=True)
    expected = sorted(expected, key=lambda r: r.group)
    assert [i["id"] for i in items] == [r.id for r in expected]
    assert pages == max(1, -(-23 // limit))
    assert set(items[0]) == {"id", "grp", "at", "day", "name"}  # the keys' own columns are not added


async def test_dates_and_an_expression_can_be_sort_keys(listing) -> None:
    db, table = listing
    rank = case((table.c.name == "らんらん", 0), (table.c.name.startswith("か"), 1), else_=2)
    ordering = Ordering(
        "ranked",
        SortKey(rank, int, name="rank"),
        SortKey(table.c.day, date, descending=True),
        SortKey(table.c.id, str),
    )

    ids, _ = await _every_page(db, select(table.c.id), ordering, limit=3)

    def rank_of(r: Row) -> int:
        return 0 if r.name == "らんらん" else 1 if r.name.startswith("か") else 2

    expected = sorted(sorted(_rows(), key=lambda r: r.id), key=lambda r: (rank_of(r), -r.day.toordinal()))
    assert ids == [r.id for r in expected]  # a one-column query gives the values themselves


async def test_rows_added_before_the_position_do_not_shift_the_next_page(listing) -> None:
    db, table = listing
    ordering = Ordering("by-id", SortKey(table.c.id, str))
    async with db.transaction() as session:
        first, cursor = await keyset_page(session, select(table.c.id), ordering, cursor=None, limit=5)
        # Written between two pages, sorting before the position reached: an offset would repeat one.
        await session.execute(
            table.insert().values(id="r-00a", grp=0, at=datetime.now(UTC), day=date(2026, 4, 1), name="x")
        )
    async with db.transaction() as session:
        second, _ = await keyset_page(session, select(table.c.id), ordering, cursor=cursor, limit=5)

    assert first == ["r-00", "r-01", "r-02", "r-03", "r-04"]
    assert second == ["r-05", "r-06", "r-07", "r-08", "r-09"]


async def test_a_cursor_of_another_ordering_or_with_values_of_the_wrong_kind_names_the_cursor(
    listing,
) -> None:
    db, table = listing
    newest = Ordering("listing", SortKey(table.c.at, datetime, descending=True), SortKey(table.c.id, str))
    oldest = Ordering("listing", SortKey(table.c.at, datetime), SortKey(table.c.id, str))
    other_list = Ordering("cases", SortKey(table.c.at, datetime, descending=True), SortKey(table.c.id, str))
    async with db.transaction() as session:
        _, cursor = await keyset_page(session, select(table), newest, cursor=None, limit=2)
    assert cursor is not None
    fingerprint, at, last_id = decode_cursor(cursor, arity=3)
    bad = [
        oldest.encode([datetime.now(UTC), "r-01"]),  # the same list in another order
        other_list.encode([datetime.now(UTC), "r-01"]),  # another list's cursor
        encode_cursor([fingerprint, "2026-04-01T09:00:00", last_id]),  # a time without its zone
        encode_cursor([fingerprint, "yesterday", last_id]),
        encode_cursor([fingerprint, at, 17]),  # an id that is not text
        encode_cursor([fingerprint, at]),  # a value short
    ]

    for tampered in bad:
        with pytest.raises(InvalidInput) as error:
            async with db.transaction() as session:
                await keyset_page(session, select(table), newest, cursor=tampered, limit=2)
        assert error.value.status == 422
        assert [f.field for f in error.value.fields] == ["cursor"], tampered


def test_integer_keys_refuse_booleans_and_dates_refuse_other_text() -> None:
    metadata = service_metadata()
    table = Table("t", metadata, Column("seq", Integer), Column("day", Date))
    by_seq = Ordering("t", SortKey(table.c.seq, int))
    by_day = Ordering("t", SortKey(table.c.day, date))

    assert by_seq.decode(by_seq.encode([7])) == [7]
    assert by_day.decode(by_day.encode([date(2026, 4, 1)])) == [date(2026, 4, 1)]
    for ordering, value in ((by_seq, True), (by_seq, "7"), (by_day, "April"), (by_day, 20260401)):
        with pytest.raises(InvalidInput):
            ordering.decode(encode_cursor([ordering.fingerprint, value]))
