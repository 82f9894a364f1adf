"""The outbox relay: claims committed outbox rows, publishes them in order, then marks them.

Rows are claimed with a lease rather than held under a lock while publishing, so a slow broker or a
slow in-process consumer never holds the service's database. A relay that dies after publishing and
before marking leaves its lease to expire; the next run publishes again and the consumers' inboxes
make that harmless. On PostgreSQL the claim skips rows another relay has locked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from shared.bus.base import Bus, Message
from shared.db import Database, new_id, utcnow
from shared.events.envelope import CloudEvent
from shared.messaging.tables import MessagingTables
from shared.settings import Settings

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, *, service: str, db: Database, tables: MessagingTables, bus: Bus, settings: Settings):
        self.service = service
        self.db = db
        self.tables = tables
        self.bus = bus
        self.batch_size = settings.outbox_batch_size
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        self.poll_seconds = settings.outbox_poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.tables.commit_listeners.append(self.wake)
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.tables.commit_listeners.remove(self.wake)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.publish_pending() == self.batch_size:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self.service)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """One pass: claim a batch, publish it in order, mark what was published. Returns rows claimed."""
        rows = await self._claim()
        published: list[int] = []
        try:
            for row in rows:
                envelope = CloudEvent.model_validate(row.envelope)
                key, value, headers = envelope.to_kafka()
                await self.bus.publish(Message(topic=row.topic, key=key, value=value, headers=tuple(headers)))
                published.append(row.id)
        except Exception as exc:
            failed = rows[len(published)]
            await self._record_failure(failed.id, exc)
            raise
        finally:
            if published:
                await self._mark_published(published)
        return len(rows)

    async def _claim(self) -> list[Any]:
        outbox = self.tables.outbox
        now = utcnow()
        token = new_id()
        claimable = or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now)
        candidates = (
            select(outbox.c.id)
            .where(outbox.c.published_at.is_(None), claimable)
            .order_by(outbox.c.id)
            .limit(self.batch_size)
        )
        if not self.db.is_sqlite:
            candidates = candidates.with_for_update(skip_locked=True)
        async with self.db.transaction() as session:
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_(candidates.scalar_subquery()), claimable)
                .values(claim_token=token, claimed_until=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            result = await session.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.envelope)
                .where(outbox.c.claim_token == token)
                .order_by(outbox.c.id)
            )
            return list(result.all())

    async def _mark_published(self, ids: list[int]) -> None:
        outbox = self.tables.outbox
        async with self.db.transaction() as session:
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(published_at=utcnow(), claim_token=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )

    async def _record_failure(self, row_id: int, exc: Exception) -> None:
        outbox = self.tables.outbox
        async with self.db.transaction() as session:
            await session.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(
                    attempts=outbox.c.attempts + 1,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    # Let the next poll try again soon rather than after the whole lease.
                    claim_token=None,
                    claimed_until=utcnow() + timedelta(seconds=min(self.poll_seconds * 4, 5)),
                )
                .execution_options(synchronize_session=False)
            )
