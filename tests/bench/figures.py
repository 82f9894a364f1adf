"""Fiscal-year figures over ten years of a municipality's records, and a long case timeline, on
SQLite and PostgreSQL (`python -m tests.bench.figures`, part of `make bench`).

Ten fiscal years × 2,000 cases a year, each with a plan (a quarter of them re-planned), a plan
meeting decision, three progress notes and, for one case in ten, a termination; another
municipality's records of the same size beside them (the counts must not read them). The figures
are timed through coordination's own service function in a tenant-scoped session, one fiscal year
at a time; the timeline of one case with 500 entries likewise. Goals (issue 11): figures p95 under
200 ms, the timeline p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, text

from services.coordination.cases import timeline as case_timeline
from services.coordination.cases.models import Case
from services.coordination.db import metadata
from services.coordination.figures.service import figures
from services.coordination.plan_meetings.models import PlanMeeting, PlanMeetingDecision
from services.coordination.plans.models import SupportPlan
from services.coordination.progress_notes.models import CaseStateChange, ProgressNote
from shared.auth.policy import DataScope, Reach
from shared.db import Database
from shared.figures import FiscalYear
from tests.support.brokers import postgres_database

TENANTS = ("016314", "223417")
FIRST_YEAR = 2016
LONG_CASE = "case-with-a-long-story"


def _uuid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def generate(years: int, per_year: int, rng: random.Random) -> dict[Table, list[dict[str, Any]]]:
    rows: dict[Table, list[dict[str, Any]]] = {
        t: []
        for t in (
            Case.__table__,
            SupportPlan.__table__,
            PlanMeeting.__table__,
            PlanMeetingDecision.__table__,
            ProgressNote.__table__,
            CaseStateChange.__table__,
        )
    }
    for tenant in TENANTS:
        for y in range(FIRST_YEAR, FIRST_YEAR + years):
            first = date(y, 4, 1)
            meetings = []
            for m in range(24):  # two a month
                meeting_id = _uuid(rng)
                held = first + timedelta(days=15 * m)
                meetings.append((meeting_id, held))
                rows[PlanMeeting.__table__].append(
                    {
                        "id": meeting_id,
                        "tenant_id": tenant,
                        "convened_by": f"{tenant}-shakyo",
                        "held_on": held,
                        "members": [],
                        "member_index": f"|{tenant}-town|",
                        "person_attended": False,
                        "agenda": None,
                        "minutes": None,
                        "recorded_by": "bench",
                        "created_at": datetime.now(UTC),
                    }
                )
            for n in range(per_year):
                case_id = _uuid(rng)
                opened = datetime(y, 4, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 24 * 60))
                status = "terminated" if n % 10 == 0 else "in_support"
                rows[Case.__table__].append(
                    {
                        "id": case_id,
                        "tenant_id": tenant,
                        "case_number": f"{y}-{n + 1:05d}",
                        "referral_id": _uuid(rng),
                        "consultation_id": _uuid(rng),
                        "window_code": f"{tenant}-ranran",
                        "referring_organisation_id": f"{tenant}-hakuju-kyokai",
                        "status": status,
                        "status_reason": None,
                        "urgency": "normal",
                        "main_concern": None,
                        "concerns": [],
                        "welfare_fields": [],
                        "referral_reason": None,
                        "person": None,
                        "household": None,
                        "notes": None,
                        "tax_information": None,
                        "consent": {},
                        "consent_id": None,
                        "consent_withdrawn_at": None,
                        "referred_at": opened,
                        "opened_at": opened,
                        "closed_at": None,
                        "cycle": 1,
                        "lead_coordinator": None,
                        "lead_coordinator_name": None,
                        "version": 1,
                    }
                )
                drafted = opened.date() + timedelta(days=20)
                plans = 2 if n % 4 == 0 else 1
                previous = None
                for p in range(plans):
                    plan_id = _uuid(rng)
                    rows[SupportPlan.__table__].append(
                        {
                            "id": plan_id,
                            "tenant_id": tenant,
                            "case_id": case_id,
                            "number": p + 1,
                            "cycle": 1,
                            "replaces_id": previous,
                            "status": "confirmed" if p == plans - 1 else "superseded",
                            "drafted_on": drafted + timedelta(days=90 * p),
                            "person_wishes": None,
                            "long_term_goals": ["目標"],
                            "short_term_goals": [],
                            "items": [],
                            "monitoring_dates": [],
                            "drafted_by": "bench",
                            "created_at": opened,
                            "updated_at": opened,
                            "confirmed_at": opened,
                            "reported_at": None,
                            "report_acknowledged_at": None,
                            "report_acknowledged_by": None,
                            "version": 2,
                        }
                    )
                    meeting_id, held = meetings[(n + p) % len(meetings)]
                    rows[PlanMeetingDecision.__table__].append(
                        {
                            "id": _uuid(rng),
                            "tenant_id": tenant,
                            "meeting_id": meeting_id,
                            "case_id": case_id,
                            "purpose": "re_plan" if p else "plan_evaluation",
                            "plan_id": plan_id,
                            "plan_version": 1,
                            "approved": True,
                            "note": None,
                            "held_on": held,
                            "member_index": f"|{tenant}-town|",
                        }
                    )
                    previous = plan_id
                for k in range(3):
                    rows[ProgressNote.__table__].append(
                        _note(rng, tenant, case_id, drafted + timedelta(days=7 * k))
                    )
                if status == "terminated":
                    rows[CaseStateChange.__table__].append(
                        {
                            "id": _uuid(rng),
                            "tenant_id": tenant,
                            "case_id": case_id,
                            "from_status": "in_support",
                            "to_status": "terminated",
                            "occurred_on": drafted + timedelta(days=200),
                            "meeting_id": None,
                            "reason": None,
                            "details": {},
                            "recorded_by": "bench",
                            "recorded_at": opened,
                        }
                    )
    # One case whose story is long: 500 notes over three years.
    long_opened = datetime(FIRST_YEAR + 1, 5, 1, tzinfo=UTC)
    rows[Case.__table__].append(
        {
            **rows[Case.__table__][0],
            "id": LONG_CASE,
            "tenant_id": TENANTS[0],
            "case_number": "long-00001",
            "referral_id": _uuid(rng),
            "opened_at": long_opened,
        }
    )
    rows[ProgressNote.__table__] += [
        _note(rng, TENANTS[0], LONG_CASE, long_opened.date() + timedelta(days=2 * i)) for i in range(500)
    ]
    return rows


def _note(rng: random.Random, tenant: str, case_id: str, on: date) -> dict[str, Any]:
    return {
        "id": _uuid(rng),
        "tenant_id": tenant,
        "case_id": case_id,
        "occurred_on": on,
        "kind": rng.choice(["contact", "visit", "call", "contact_attempt", "information"]),
        "summary": "自宅を訪問し、本人と話した",
        "organisation_id": None,
        "recorded_by": "bench",
        "recorded_by_organisation": f"{tenant}-town",
        "recorded_at": datetime.now(UTC),
    }


async def fill(db: Database, rows: dict[Table, list[dict[str, Any]]]) -> float:
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(metadata.create_all)
    started = time.perf_counter()
    async with db.transaction() as session:
        for table in (
            Case.__table__,
            PlanMeeting.__table__,
            SupportPlan.__table__,
            PlanMeetingDecision.__table__,
            ProgressNote.__table__,
            CaseStateChange.__table__,
        ):
            batch = rows[table]
            for start in range(0, len(batch), 2000):
                await session.execute(insert(table), batch[start : start + 2000])
    # As the housekeeper does for SQLite (refresh_statistics); PostgreSQL's autovacuum would too.
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


async def measure(
    db: Database, years: int, rounds: int
) -> tuple[tuple[float, float], tuple[float, float], dict[str, int]]:
    scope = DataScope(TENANTS[0], f"{TENANTS[0]}-town", Reach.tenant)
    figure_times: list[float] = []
    sample: dict[str, int] = {}
    for r in range(rounds):
        year = FiscalYear(FIRST_YEAR + r % years)
        async with db.reading(scope=scope) as session:
            started = time.perf_counter()
            result = await figures(session=session, tenant_id=TENANTS[0], year=year)
            figure_times.append((time.perf_counter() - started) * 1000)
        if year.year == FIRST_YEAR + 1:
            sample = {row.indicator: row.value for row in result.rows}
    timeline_times: list[float] = []
    for _ in range(rounds):
        async with db.reading(scope=scope) as session:
            started = time.perf_counter()
            entries = await case_timeline.timeline(session=session, case_id=LONG_CASE)
            timeline_times.append((time.perf_counter() - started) * 1000)
    assert len(entries) == 501, len(entries)  # the notes and the opening
    return _percentiles(figure_times), _percentiles(timeline_times), sample


def report(
    backend: str,
    load: float,
    cases: int,
    figures_ms: tuple[float, float],
    timeline_ms: tuple[float, float],
    sample: dict[str, int],
) -> None:
    print(f"\n{backend}: {cases} cases (two municipalities) loaded in {load:.1f} s")
    print(
        f"  figures of one fiscal year: p50 {figures_ms[0]:7.2f} ms, p95 {figures_ms[1]:7.2f} ms (goal < 200)"
    )
    print(
        f"  timeline of 500 entries:    p50 {timeline_ms[0]:7.2f} ms, p95 {timeline_ms[1]:7.2f} ms (goal <50)"
    )
    shown = {
        k: sample[k]
        for k in ("cases_opened", "plans_made", "plans_made.re_plan", "plan_meetings_held", "terminations")
    }
    print(f"  FY{FIRST_YEAR + 1} sample: {shown}")


async def run(years: int, per_year: int, rounds: int, postgres_url: str) -> None:
    rows = generate(years, per_year, random.Random(20261201))
    cases = len(rows[Case.__table__])
    with tempfile.TemporaryDirectory() as work:
        sqlite = Database(f"sqlite+aiosqlite:///{Path(work) / 'coordination.db'}", schema="coordination")
        load = await fill(sqlite, rows)
        report("SQLite", load, cases, *await measure(sqlite, years, rounds))
        await sqlite.dispose()
    postgres = Database(postgres_url, schema="coordination")
    load = await fill(postgres, rows)
    report("PostgreSQL", load, cases, *await measure(postgres, years, rounds))
    await postgres.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-year", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with postgres_database() as url:
        asyncio.run(run(args.years, args.per_year, args.rounds, url))
