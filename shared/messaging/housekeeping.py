"""Housekeeping: what the delivery machinery keeps only for a while is purged on a schedule.

- published outbox rows, after OUTBOX_RETENTION_DAYS (kept a while for an operator's questions);
- inbox rows, after INBOX_RETENTION_DAYS: longer than any redelivery can come (Kafka keeps a topic
  7 days by default), since a purged row would let a late duplicate apply again;
- idempotency keys, IDEMPOTENCY_RETENTION_HOURS after their request (a client retries within
  minutes), never one still held by a request in flight.

The audit trail is never purged here: it is the record of who saw and changed personal data, kept
under the municipality's own retention rules. Deletes go in batches, so no sweep holds a table long.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, select, text, tuple_

from shared.db import Database, utcnow
from shared.messaging.tables import MessagingTables
from shared.settings import Settings

log = logging.getLogger(__name__)

_BATCH = 1000


class Housekeeper:
    def __init__(
        self,
        *,
        service: str,
        db: Database,
        tables: MessagingTables,
        idempotency_table: Table | None,
        settings: Settings,
    ) -> None:
        self.service = service
        self.db = db
        self.tables = tables
        self.idempotency_table = idempotency_table
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"housekeeping-{self.service}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=10)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.housekeeping_interval_seconds)
            try:
                await self.refresh_statistics()
                purged = await self.sweep(utcnow())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("housekeeping of %s failed; trying again at the next interval", self.service)
                continue
            if any(purged.values()):
                log.info("housekeeping of %s purged %s", self.service, purged)

    async def refresh_statistics(self) -> None:
        """SQLite plans its queries from ANALYZE's statistics, which it never gathers by itself:
        without them it may read a case's notes through the tenant index instead of the case's
        (a 500-entry timeline: 60 ms instead of 22 in tests/bench/figures.py). PostgreSQL's
        autovacuum keeps its own."""
        if self.db.is_sqlite:
            # A write: it takes its turn with the service's other writers (shared.db.Database).
            async with self.db.transaction() as session:
                await session.execute(text("ANALYZE"))

    async def sweep(self, now: datetime) -> dict[str, int]:
        """One sweep; returns how many rows of each kind went."""
        settings = self.settings
        outbox, inbox = self.tables.outbox, self.tables.inbox
        purged = {
            "outbox": await self._purge(
                outbox,
                outbox.c.id,
                outbox.c.published_at < now - timedelta(days=settings.outbox_retention_days),
            ),
            "inbox": await self._purge(
                inbox,
                inbox.c.event_id,
                inbox.c.processed_at < now - timedelta(days=settings.inbox_retention_days),
                also=inbox.c.consumer,
            ),
        }
        keys = self.idempotency_table
        if keys is not None:
            purged["idempotency_keys"] = await self._purge(
                keys,
                keys.c.key,
                (keys.c.created_at < now - timedelta(hours=settings.idempotency_retention_hours))
                & (keys.c.locked_until < now),
                also=keys.c.scope,
            )
        return purged

    async def _purge(
        self,
        table: Table,
        key: ColumnElement[object],
        old: ColumnElement[bool],
        *,
        also: ColumnElement[object] | None = None,
    ) -> int:
        total = 0
        columns = [key] if also is None else [also, key]
        while True:
            async with self.db.transaction() as session:
                batch = (await session.execute(select(*columns).where(old).limit(_BATCH))).all()
                if not batch:
                    return total
                if also is None:
                    await session.execute(delete(table).where(key.in_([row[0] for row in batch])))
                else:
                    await session.execute(
                        delete(table).where(tuple_(also, key).in_([tuple(r) for r in batch]))
                    )
                total += len(batch)
            await asyncio.sleep(0)  # let requests in between batches
