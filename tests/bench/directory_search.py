"""Directory search latency over 50,000 generated entries, on SQLite and PostgreSQL
(`python -m tests.bench.directory_search`, part of `make bench`).

Entries are generated from the real reference entries' vocabulary (names of windows, programs,
places, districts) so the character statistics look like a municipality's directory, and are
written in bulk with the same folding and postings the service uses. Queries are timed through the
service's own search function in a scoped read session (the HTTP layer's cost is the floor measured
by the referral bench). The CSV import rate is measured separately through the HTTP endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path

from sqlalchemy import insert, text

from services.directory.db import metadata
from services.directory.reference.loader import reference_files
from services.directory.resources import schedules as opening_hours
from services.directory.resources import search
from services.directory.resources.models import (
    Organisation,
    Resource,
    ResourceArea,
    ResourceOpening,
    ResourceTerm,
)
from services.directory.resources.schemas import ScheduleIn
from services.directory.resources.service import SearchFilters, search_resources
from shared.auth.policy import DataScope, Reach
from shared.db import Database
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
]
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


def generate(count: int) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    rng = random.Random(42)
    templates = [s for f in reference_files() for s in f.services]
    now = datetime.now(UTC)
    resources, terms, areas, openings = [], [], [], []
    for i in range(count):
        base = rng.choice(templates)
        prefix, suffix = rng.choice(PREFIXES), rng.choice(SUFFIXES)
        name = f"{prefix}{base.name}{suffix}"
        kana = f"{KANA[prefix]}{base.name_kana}{KANA[suffix]}"
        district = rng.choice(DISTRICTS)
        schedules = rng.choice(SCHEDULES)
        text_ = search.search_text([name, kana, base.program, search.FIELD_WORDS[base.field], district])
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
                search_text=text_,
                version=1,
                created_at=now,
                updated_at=now,
                updated_by="bench",
            )
        )
        terms.extend(dict(tenant_id=TENANT, gram=g, resource_id=rid) for g in search.grams(text_))
        openings.extend(
            dict(tenant_id=TENANT, resource_id=rid, **o.as_row())
            for s in schedules
            for o in opening_hours.openings(s)
        )
        areas.append(
            dict(
                tenant_id=TENANT,
                resource_id=rid,
                kind="junior_high_district",
                name=search.normalize(district),
            )
        )
    return resources, terms, areas, openings


async def fill(db: Database, count: int) -> float:
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(metadata.create_all)
    resources, terms, areas, openings = generate(count)
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
            (ResourceTerm.__table__, terms),
            (ResourceArea.__table__, areas),
            (ResourceOpening.__table__, openings),
        ):
            for start in range(0, len(rows), 5000):
                await session.execute(insert(table), rows[start : start + 5000])
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


async def measure(db: Database, rounds: int) -> dict[str, tuple[float, float, int]]:
    scope = DataScope(TENANT, f"{TENANT}-town", Reach.tenant)
    results: dict[str, tuple[float, float, int]] = {}
    cases = [(q, SearchFilters(q=q)) for q in QUERIES] + [
        ("area=駒場中学校区", SearchFilters(area="駒場中学校区")),
        ("open 12/2 10:00", SearchFilters(open_on=date(2026, 12, 2), open_at=clock(10))),
        ("介護 open 12/12 9:00", SearchFilters(q="介護", open_on=date(2026, 12, 12), open_at=clock(9))),
    ]
    for label, filters in cases:
        samples, found = [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            async with db.reading(scope=scope) as session:
                rows, _ = await search_resources(
                    session=session, tenant_id=TENANT, filters=filters, cursor=None, limit=20
                )
            samples.append((time.perf_counter() - started) * 1000)
            found = len(rows)
        ordered = sorted(samples)
        results[label] = (statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)], found)
    return results


def report(
    backend: str, load_seconds: float, count: int, results: dict[str, tuple[float, float, int]]
) -> None:
    print(f"\n{backend}: {count} entries loaded in {load_seconds:.1f} s")
    print(f"  {'query':<22} {'p50 ms':>8} {'p95 ms':>8} {'page':>5}")
    for label, (p50, p95, found) in results.items():
        print(f"  {label:<22} {p50:8.2f} {p95:8.2f} {found:5d}")
    every = [v[0] for v in results.values()]
    worst = max(v[1] for v in results.values())
    print(f"  all queries: p50 of p50s {statistics.median(every):.2f} ms, worst p95 {worst:.2f} ms")


async def run(count: int, rounds: int, postgres_url: str) -> None:
    with tempfile.TemporaryDirectory() as work:
        sqlite = Database(f"sqlite+aiosqlite:///{Path(work) / 'directory.db'}", schema="directory")
        seconds = await fill(sqlite, count)
        report("SQLite", seconds, count, await measure(sqlite, rounds))
        await sqlite.dispose()
    postgres = Database(postgres_url, schema="directory")
    seconds = await fill(postgres, count)
    report("PostgreSQL", seconds, count, await measure(postgres, rounds))
    await postgres.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with postgres_database() as url:
        asyncio.run(run(args.count, args.rounds, url))
