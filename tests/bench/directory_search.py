"""Directory search latency over 50,000 generated entries, on SQLite and PostgreSQL
(`python -m tests.bench.directory_search`, part of `make bench`).

Entries are generated from the real reference entries' vocabulary (names of windows, programs,
their descriptions, places, districts) so the character statistics look like a municipality's
directory, and are written in bulk with the same folded texts and postings the service writes
(`service.entry_text`, `postings.postings`; the postings through the driver's bulk path: executemany
on SQLite, COPY on PostgreSQL, since loading is not what is measured). Queries are timed through the
service's own search function in a scoped read session (the HTTP layer's cost is the floor measured
by the referral bench): the first page of 20 of each query, and for some the page after it (`→2`).
The CSV import rate is measured separately through the HTTP endpoint.

    python -m tests.bench.directory_search [--count 50000] [--rounds 50] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.directory.db import metadata
from services.directory.reference.loader import reference_files
from services.directory.resources import postings
from services.directory.resources import schedules as opening_hours
from services.directory.resources.models import (
    Organisation,
    Resource,
    ResourceArea,
    ResourceOpening,
    ResourcePosting,
)
from services.directory.resources.schemas import ResourceIn, ScheduleIn
from services.directory.resources.service import SearchFilters, entry_text, search_resources
from shared.auth.policy import DataScope, Reach
from shared.db import Database
from shared.text import fold
from tests.support.brokers import postgres_database

TENANT = "016314"
QUERIES = [
    "介護",
    "らんらん",
    "ﾁｲｷﾎｳｶﾂ",
    "子ども",
    "就労",
    "B型",
    "サロン",
    "支援センター",
    "食堂",
    "相談窓口",
    "子育て",  # names and descriptions (障がい者基幹相談支援センター's says 子育て・介護)
    "就労継続支援B型",  # descriptions only (Daisen's 参加支援事業)
    "東",  # one character
    "モニタリング",  # descriptions only, a long word
    "存在しない施設名",  # nothing
]
# Queries also timed for their second page (the cursor of the first).
SECOND_PAGES = ["介護", "B型", "子ども", "東"]
PREFIXES = [
    "東",
    "西",
    "南",
    "北",
    "中央",
    "緑",
    "桜",
    "すずらん",
    "ひまわり",
    "あおぞら",
    "木野",
    "駒場",
    "共栄",
]
SUFFIXES = ["", "第二", "分室", "サテライト", "本部"]
KANA = {
    "東": "ヒガシ",
    "西": "ニシ",
    "南": "ミナミ",
    "北": "キタ",
    "中央": "チュウオウ",
    "緑": "ミドリ",
    "桜": "サクラ",
    "すずらん": "スズラン",
    "ひまわり": "ヒマワリ",
    "あおぞら": "アオゾラ",
    "木野": "キノ",
    "駒場": "コマバ",
    "共栄": "キョウエイ",
    "": "",
    "第二": "ダイニ",
    "分室": "ブンシツ",
    "サテライト": "サテライト",
    "本部": "ホンブ",
}
DISTRICTS = ["音更中学校区", "駒場中学校区", "共栄中学校区", "下音更中学校区", "緑南中学校区"]
# Two entries in three get structured hours: office hours, a monthly salon, or a Saturday morning.
SCHEDULES = [
    [
        ScheduleIn(
            freq="WEEKLY",
            byday=["MO", "TU", "WE", "TH", "FR"],
            opens_at=clock(8, 30),
            closes_at=clock(17, 15),
        )
    ],
    [ScheduleIn(freq="MONTHLY", byday=["1WE", "3WE"], opens_at=clock(10), closes_at=clock(12))],
    [ScheduleIn(freq="MONTHLY", byday=["2SA", "4SA"], opens_at=clock(9), closes_at=clock(12))],
    [],
]


Rows = list[dict[str, Any]]
OPENINGS = [[o.as_row() for s in schedules for o in opening_hours.openings(s)] for schedules in SCHEDULES]
Posting = tuple[str, str, int, str, str]


def generate(count: int) -> tuple[Rows, list[Posting], Rows, Rows]:
    rng = random.Random(42)
    templates = [s for f in reference_files() for s in f.services]
    now = datetime.now(UTC)
    resources: Rows = []
    posted: list[Posting] = []
    areas: Rows = []
    openings: Rows = []
    for i in range(count):
        base = rng.choice(templates)
        prefix, suffix = rng.choice(PREFIXES), rng.choice(SUFFIXES)
        name = f"{prefix}{base.name}{suffix}"
        kana = f"{KANA[prefix]}{base.name_kana}{KANA[suffix]}"
        district = rng.choice(DISTRICTS)
        which = rng.randrange(len(SCHEDULES))
        schedules = SCHEDULES[which]
        # What entry_text reads of a ResourceIn (validating 50,000 of them would be the slow part).
        data = SimpleNamespace(
            name=name,
            name_kana=kana,
            field=base.field,
            program=base.program,
            description=base.description,
            responsible_section=None,
            address=None,
            schedule=None,
            areas=[SimpleNamespace(name=district)],
            accepts=SimpleNamespace(conditions=[], accessibility=[]),
        )
        folded = entry_text(cast(ResourceIn, data), None)
        key = postings.sort_key(kana)
        rid = f"bench-{i}"
        resources.append(
            dict(
                id=rid,
                tenant_id=TENANT,
                organization_id=None,
                name=name,
                name_kana=kana,
                kind=base.kind,
                field=base.field,
                legal_item=base.legal_item,
                operation=base.operation,
                responsible_section=None,
                program=base.program,
                description=base.description,
                address=None,
                postal_code=None,
                phones=[],
                areas=[{"kind": "junior_high_district", "name": district}],
                schedule=None,
                schedules=[s.model_dump(mode="json") for s in schedules],
                accepts={},
                source=None,
                status="active",
                search_name=folded.name,
                search_reading=folded.reading,
                search_text=folded.other,
                sort_key=key,
                version=1,
                created_at=now,
                updated_at=now,
                updated_by="bench",
            )
        )
        posted.extend((TENANT, g, int(p), key, rid) for g, p in postings.postings(folded).items())
        openings.extend(dict(tenant_id=TENANT, resource_id=rid, **row) for row in OPENINGS[which])
        areas.append(
            dict(tenant_id=TENANT, resource_id=rid, kind="junior_high_district", name=fold(district))
        )
    posted.sort()  # loaded in key order: how a b-tree fills fastest
    return resources, posted, areas, openings


async def fill(db: Database, count: int) -> tuple[float, int]:
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(metadata.create_all)
    resources, posted, areas, openings = generate(count)
    started = time.perf_counter()
    async with db.transaction() as session:
        session.add(
            Organisation(
                id=f"{TENANT}-town",
                tenant_id=TENANT,
                name="音更町",
                name_kana=None,
                kind="municipality",
                created_at=datetime.now(UTC),
            )
        )
        for table, rows in (
            (Resource.__table__, resources),
            (ResourceArea.__table__, areas),
            (ResourceOpening.__table__, openings),
        ):
            for start in range(0, len(rows), 5000):
                await session.execute(insert(table), rows[start : start + 5000])
    async with db.engine.connect() as conn:
        await (_copy_sqlite if db.is_sqlite else _copy_postgres)(conn, db.schema, posted)
    return time.perf_counter() - started, len(posted)


async def _copy_sqlite(conn: AsyncConnection, schema: str, rows: list[Posting]) -> None:
    driver: Any = (await conn.get_raw_connection()).driver_connection
    table = ResourcePosting.__tablename__
    # Loading is not what is measured: no WAL copy of every new page, no sync, a large page cache.
    for pragma in ("journal_mode=DELETE", "synchronous=OFF", "cache_size=-400000"):
        await driver.execute(f"PRAGMA {pragma}")
    await driver.execute("BEGIN")  # the connection is in autocommit mode (shared.db)
    cursor = driver.cursor()  # aiosqlite's is awaited; a driver running sqlite3 inline hands it over
    cursor = await cursor if inspect.isawaitable(cursor) else cursor
    for start in range(0, len(rows), 200_000):
        await cursor.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?)", rows[start : start + 200_000])
    await driver.execute("COMMIT")
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-2000"):
        await driver.execute(f"PRAGMA {pragma}")
    await driver.execute("ANALYZE")


async def _copy_postgres(conn: AsyncConnection, schema: str, rows: list[Posting]) -> None:
    """COPY into the table without its indexes, then build them (as a restore does), then VACUUM
    (index-only scans need the visibility map) and ANALYZE."""
    driver: Any = (await conn.get_raw_connection()).driver_connection
    table = ResourcePosting.__tablename__
    await driver.execute(f'ALTER TABLE "{schema}".{table} DROP CONSTRAINT pk_{table}')
    await driver.execute(f'DROP INDEX "{schema}".ix_{table}_resource')
    columns = ["tenant_id", "gram", "part", "sort_key", "resource_id"]
    await driver.copy_records_to_table(table, records=rows, columns=columns, schema_name=schema)
    await driver.execute(
        f'ALTER TABLE "{schema}".{table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({", ".join(columns)})'
    )
    await driver.execute(f'CREATE INDEX ix_{table}_resource ON "{schema}".{table} (resource_id)')
    await driver.execute(f'VACUUM ANALYZE "{schema}".{table}')
    await driver.execute(f'VACUUM ANALYZE "{schema}".resources')


Result = tuple[float, float, int]


async def measure(db: Database, rounds: int) -> dict[str, Result]:
    scope = DataScope(TENANT, f"{TENANT}-town", Reach.tenant)
    results: dict[str, Result] = {}
    cases = [(q, SearchFilters(q=q)) for q in QUERIES] + [
        ("area=駒場中学校区", SearchFilters(area="駒場中学校区")),
        ("open 12/2 10:00", SearchFilters(open_on=date(2026, 12, 2), open_at=clock(10))),
        ("介護 open 12/12 9:00", SearchFilters(q="介護", open_on=date(2026, 12, 12), open_at=clock(9))),
        ("B型 kind=window", SearchFilters(q="B型", kind="window")),
    ]
    for label, filters in cases:
        results[label] = await _timed(db, scope, filters, None, rounds)
        if filters.q in SECOND_PAGES and label == filters.q:
            async with db.reading(scope=scope) as session:
                _, cursor = await search_resources(
                    session=session, tenant_id=TENANT, filters=filters, cursor=None, limit=20
                )
            results[f"{label} →2"] = await _timed(db, scope, filters, cursor, rounds)
    return results


async def _timed(
    db: Database, scope: DataScope, filters: SearchFilters, cursor: str | None, rounds: int
) -> Result:
    samples, found = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        async with db.reading(scope=scope) as session:
            rows, _ = await search_resources(
                session=session, tenant_id=TENANT, filters=filters, cursor=cursor, limit=20
            )
        samples.append((time.perf_counter() - started) * 1000)
        found = len(rows)
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)], found


def report(backend: str, load: tuple[float, int], count: int, results: dict[str, Result]) -> None:
    seconds, posted = load
    print(f"\n{backend}: {count} entries ({posted} postings) loaded in {seconds:.1f} s")
    print(f"  {'query':<22} {'p50 ms':>8} {'p95 ms':>8} {'page':>5}")
    for label, (p50, p95, found) in results.items():
        print(f"  {label:<22} {p50:8.2f} {p95:8.2f} {found:5d}")
    every = [v[0] for v in results.values()]
    worst = max(v[1] for v in results.values())
    print(f"  all queries: p50 of p50s {statistics.median(every):.2f} ms, worst p95 {worst:.2f} ms")


async def run(count: int, rounds: int, postgres_url: str | None) -> None:
    if postgres_url is None:
        with tempfile.TemporaryDirectory() as work:
            sqlite = Database(f"sqlite+inline:///{Path(work) / 'directory.db'}", schema="directory")
            loaded = await fill(sqlite, count)
            report("SQLite", loaded, count, await measure(sqlite, rounds))
            await sqlite.dispose()
        return
    postgres = Database(postgres_url, schema="directory")
    loaded = await fill(postgres, count)
    report("PostgreSQL", loaded, count, await measure(postgres, rounds))
    await postgres.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only != "postgresql":
        asyncio.run(run(args.count, args.rounds, None))
    if args.only != "sqlite":
        with postgres_database() as url:
            asyncio.run(run(args.count, args.rounds, url))
