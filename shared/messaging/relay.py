"""The outbox relay: publishes committed outbox rows in the order they were written, then marks them.

Order is kept per key through every fault: each pass starts at the oldest unpublished row and stops
at the first row that fails, so a row is never sent before an older one (of any key) has been sent
at least once. There are no leases to wait out and no skipping ahead: a relay that dies mid-pass
leaves its rows unpublished, and the next pass, in this process or another, sends them again in
order; the consumers' inboxes make the repeat harmless.

On PostgreSQL several processes of one service may run a relay: a pass holds a transaction-scoped
advisory lock, so one relay publishes at a time (a killed one's lock goes with its connection). The
pass keeps its transaction open while it publishes, which holds no row a writer needs (writers only
insert new rows), and each publish is bounded by OUTBOX_PUBLISH_TIMEOUT_SECONDS. On SQLite (embedded
mode: one process) the pass reads, publishes, then marks in a short write transaction, so the
service's writers are never queued behind a publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bus.base import Bus, Message
from shared.db import Database, utcnow
from shared.events.envelope import CloudEvent
from shared.messaging.tables import MessagingTables
from shared.outage import Outage
from shared.settings import Settings

log = logging.getLogger(__name__)

_MAX_BACKOFF_SECONDS = 5.0
# pg_try_advisory_xact_lock(space, key): the relays' key space ("OUTB").
_OUTBOX_LOCK_SPACE = 0x4F555442


@dataclass(frozen=True)
class PassResult:
    published: Sequence[int]
    failed: int | None = None
    error: BaseException | None = None


class OutboxRelay:
    def __init__(self, *, service: str, db: Database, tables: MessagingTables, bus: Bus, settings: Settings):
        self.service = service
        self.db = db
        self.tables = tables
        self.bus = bus
        self.batch_size = settings.outbox_batch_size
        self.poll_seconds = settings.outbox_poll_seconds
        self.publish_timeout = settings.outbox_publish_timeout_seconds
        self.outage = Outage(log, f"outbox relay of {service}")
        self._backoff = 0.0
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
            # Bounded: a pass stuck in a driver call must not hold the shutdown.
            done, _ = await asyncio.wait({self._task}, timeout=10)
            if not done:
                log.warning("outbox relay of %s did not stop within 10 s", self.service)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.publish_pending() > 0:
                    pass  # more may wait: a full batch, or a pass cut short by its time budget
            except asyncio.CancelledError:
                raise
            except RelayBlocked:
                pass  # logged by the outage
            except Exception as exc:
                self.outage.failed(exc)
                self._backoff = min(max(self._backoff * 2, self.poll_seconds), _MAX_BACKOFF_SECONDS)
            if self._backoff:
                # A failing broker: retry the same oldest row, not sooner than the backoff.
                await asyncio.sleep(self._backoff)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """One pass over the oldest unpublished rows. Returns how many were published.

        Raises RelayBlocked when a row could not be published (the rows before it are marked).
        """
        if self.db.is_sqlite:
            async with self.db.reading() as session:
                rows = await self._pending(session)
            result = await self._publish(rows)
            async with self.db.transaction() as session:
                await self._settle(session, result)
        else:
            async with self.db.transaction() as session:
                if not await self._lead(session):
                    return 0
                rows = await self._pending(session)
                result = await self._publish(rows)
                await self._settle(session, result)
        if result.error is not None:
            self.outage.failed(result.error)
            self._backoff = min(max(self._backoff * 2, self.poll_seconds), _MAX_BACKOFF_SECONDS)
            raise RelayBlocked(
                f"outbox row {result.failed} of {self.service} not published"
            ) from result.error
        self.outage.recovered()
        self._backoff = 0.0
        return len(result.published)

    async def _lead(self, session: AsyncSession) -> bool:
        """Only one relay of a service publishes at a time; the others find the lock taken.

        The two-key form (a key space of its own, apart from the audit trail's one-key locks). A
        relay frozen mid-pass (a paused VM) would keep the lock; PostgreSQL ends its transaction
        once it has idled three publish timeouts, and another relay takes over.
        """
        idle_ms = int(self.publish_timeout * 3 * 1000)
        await session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {idle_ms}"))
        got = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, hashtext(coalesce(current_schema(), '')))"),
            {"space": _OUTBOX_LOCK_SPACE},
        )
        return bool(got)

    async def _pending(self, session: AsyncSession) -> list[Any]:
        outbox = self.tables.outbox
        result = await session.execute(
            select(outbox.c.id, outbox.c.topic, outbox.c.envelope)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
        )
        return list(result.all())

    async def _publish(self, rows: Sequence[Any]) -> PassResult:
        published: list[int] = []
        started = time.monotonic()
        for row in rows:
            if published and time.monotonic() - started > self.publish_timeout:
                break  # a slow broker: the rest in the next pass, so no pass holds its lock for long
            try:
                envelope = CloudEvent.model_validate(row.envelope)
                key, value, headers = envelope.to_kafka()
                message = Message(topic=row.topic, key=key, value=value, headers=tuple(headers))
                await asyncio.wait_for(self.bus.publish(message), timeout=self.publish_timeout)
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                error = TimeoutError(f"the bus did not take the event within {self.publish_timeout:g} s")
                return PassResult(published, failed=row.id, error=error)
            except Exception as exc:
                # Stop here: nothing newer may overtake this row.
                return PassResult(published, failed=row.id, error=exc)
            published.append(row.id)
        return PassResult(published)

    async def _settle(self, session: AsyncSession, result: PassResult) -> None:
        if result.published:
            await self._mark_published(session, result.published)
        if result.failed is not None and result.error is not None:
            await self._record_failure(session, result.failed, result.error)

    async def _mark_published(self, session: AsyncSession, ids: Sequence[int]) -> None:
        outbox = self.tables.outbox
        await session.execute(
            update(outbox)
            .where(outbox.c.id.in_(list(ids)))
            .values(published_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def _record_failure(self, session: AsyncSession, row_id: int, exc: BaseException) -> None:
        outbox = self.tables.outbox
        await session.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(attempts=outbox.c.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000])
            .execution_options(synchronize_session=False)
        )


class RelayBlocked(Exception):
    """The oldest unpublished row could not be published; the relay retries it after a backoff."""
