"""What the audit trail costs per request: `python -m tests.bench.audit_cost` (part of `make bench`).

Two measurements, each against its own baseline in the same run:
1. Per append, at the database: N transactions that append one hash-chained entry, against N
   transactions doing the same read without appending. On SQLite and on PostgreSQL.
2. Per request, over HTTP in embedded mode (in-process ASGI): GET of one consultation (authenticated,
   scoped, audited) against GET of the windows list (authenticated, scoped, not audited).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy import select, text

from services.embedded import create_app
from services.intake.db import audit_log, metadata
from shared.audit import AuditRecord, append
from shared.db import Database, utcnow
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.support.brokers import postgres_database
from tests.support.builders import consultation_body
from tests.support.directory_events import deliver_reference_windows
from tests.support.tokens import bearer


def _record() -> AuditRecord:
    return AuditRecord(
        at=utcnow(),
        service="intake",
        subject="bench",
        tenant_id="016314",
        organisation_id="016314-hakuju-kyokai",
        roles=("window_staff",),
        action="read",
        resource="consultation",
        resource_id="00000000-0000-0000-0000-000000000000",
        purpose=None,
        request_id=None,
        outcome="allowed",
        status=200,
    )


async def _timed(count: int, step: Callable[[], Awaitable[object]]) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await step()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered):7.3f} ms   p95 {p95:7.3f} ms"


async def _per_append(db: Database, count: int) -> tuple[list[float], list[float]]:
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(metadata.create_all)

    async def baseline() -> None:
        async with db.transaction() as session:
            await session.execute(select(audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1))

    async def audited() -> None:
        async with db.transaction() as session:
            await session.execute(select(audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1))
            await append(session, audit_log, _record())

    await _timed(50, audited)
    return await _timed(count, baseline), await _timed(count, audited)


async def _per_request(count: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as work:
        settings = Settings(
            run_mode="embedded", data_dir=Path(work), rate_limit_per_minute=0, services=["intake"]
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            # Intake alone: its windows arrive as the directory's events would bring them.
            await deliver_reference_windows(runtimes_of(app)["intake"])
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=bearer(settings)
            ) as http:
                created = (await http.post("/intake/v1/consultations", json=consultation_body())).json()
                path = f"/intake/v1/consultations/{created['id']}"
                await _timed(50, lambda: http.get(path))
                baseline = await _timed(count, lambda: http.get("/intake/v1/windows"))
                audited = await _timed(count, lambda: http.get(path))
    return baseline, audited


async def main(count: int, postgres_url: str) -> None:
    print(f"audit cost, {count} samples each\n")
    with tempfile.TemporaryDirectory() as work:
        sqlite = Database(f"sqlite+aiosqlite:///{work}/audit.db", schema="intake")
        base, audited = await _per_append(sqlite, count)
        await sqlite.dispose()
    print(f"SQLite      transaction without append  {_summary(base)}")
    print(f"SQLite      transaction with append     {_summary(audited)}")
    postgres = Database(postgres_url, schema="intake")
    base, audited = await _per_append(postgres, count)
    await postgres.dispose()
    print(f"PostgreSQL  transaction without append  {_summary(base)}")
    print(f"PostgreSQL  transaction with append     {_summary(audited)}")
    base, audited = await _per_request(count)
    print(f"HTTP        GET windows (not audited)   {_summary(base)}")
    print(f"HTTP        GET consultation (audited)  {_summary(audited)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=500)
    with postgres_database() as url:
        asyncio.run(main(parser.parse_args().count, url))
