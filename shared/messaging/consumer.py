"""The consumer side: decode, claim in the inbox, apply the effect, all in one transaction.

A handler that keeps failing is retried a few times, then the message goes to the consumer's
dead-letter topic (with the error in its headers) and into its `dead_letters` table, from which it can
be replayed. Messages that can never succeed (unknown shape, invalid data) skip the retries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import exc as sqlalchemy_exc
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bus.base import Bus, Message
from shared.db import Database, new_id, upsert, utcnow
from shared.events.envelope import CloudEvent
from shared.events.registry import TOLERANT, Event, dead_letter_topic, model_for
from shared.messaging.tables import MessagingTables
from shared.observability import tracing
from shared.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Any], Awaitable[None]]


class PermanentFailure(Exception):
    """The message can never be handled as it is: retrying would not help."""


class RedeliverLater(Exception):
    """The service cannot handle the message now (its database is away or busy): the bus must hand
    it over again. The one exception a delivery raises."""


def is_transient(error: BaseException) -> bool:
    """Errors of the database's availability, not of the message: connection lost or refused, a
    lock or pool wait timed out, a deadlock or serialisation failure to retry."""
    if isinstance(error, OperationalError | InterfaceError | sqlalchemy_exc.TimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class EventConsumer:
    def __init__(
        self,
        *,
        service: str,
        db: Database,
        tables: MessagingTables,
        bus: Bus,
        settings: Settings,
        handlers: Mapping[type[Event], Handler],
    ) -> None:
        self.service = service
        self.db = db
        self.tables = tables
        self.bus = bus
        self.max_attempts = settings.consumer_max_attempts
        self.backoff = settings.consumer_retry_backoff_seconds
        self.publish_timeout = settings.outbox_publish_timeout_seconds
        self.traced = settings.tracing_enabled
        self.handlers = {cls.cloudevent_type(): handler for cls, handler in handlers.items()}
        # Counters an operator (and the delivery tests) can read: applied, duplicate, retried, dead_lettered.
        self.stats: Counter[str] = Counter()
        # Told of each event taken in hand: its type, how long since it was staged, how long its
        # handling took (retries included). The metrics' hook (shared/observability/metrics.py).
        self.on_handled: Callable[[str, float, float], None] | None = None

    def topics(self) -> list[str]:
        return sorted({model_for(t).topic() for t in self.handlers})

    async def deliver(self, message: Message) -> None:
        """The bus's entry point; raises only RedeliverLater (see there)."""
        try:
            envelope = CloudEvent.from_kafka(message.value, list(message.headers))
        except (ValueError, ValidationError) as exc:
            await self._dead_letter(message, None, f"undecodable envelope: {exc}", attempts=1)
            return
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return  # another consumer's event on a shared topic
        waited = (datetime.now(UTC) - envelope.time).total_seconds()
        started = time.perf_counter()
        try:
            if not self.traced:
                await self._handle_with_retries(message, envelope, handler)
                return
            # In the trace the event carries (the request that staged it): what the handler emits
            # in turn carries it on, and its log lines name it.
            with tracing.consuming(self.service, envelope, message.topic):
                await self._handle_with_retries(message, envelope, handler)
        finally:
            if self.on_handled is not None:
                self.on_handled(envelope.type, waited, time.perf_counter() - started)

    async def _handle_with_retries(self, message: Message, envelope: CloudEvent, handler: Handler) -> None:
        error = ""
        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                applied = await self.apply(envelope, handler)
                self.stats["applied" if applied else "duplicate"] += 1
                return
            except PermanentFailure as exc:
                await self._dead_letter(message, envelope, str(exc), attempts=attempt)
                return
            except Exception as exc:
                last = exc
                error = f"{type(exc).__name__}: {exc}"
                # The type only: the message of a validation or driver error quotes the data.
                log.warning(
                    "%s failed on %s (attempt %d): %s", self.service, envelope.id, attempt, type(exc).__name__
                )
                if attempt < self.max_attempts:
                    self.stats["retried"] += 1
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        if last is not None and is_transient(last):
            # The database is away or busy, not the message wrong: no dead letter (a withdrawal
            # parked there would leave a name visible until someone replays it). The bus hands it
            # over again: Kafka from the committed offset, the in-process bus at the relay's retry.
            self.stats["redelivery"] += 1
            raise RedeliverLater(
                f"{self.service} could not handle {envelope.id} now: {type(last).__name__}"
            ) from last
        await self._dead_letter(message, envelope, error, attempts=self.max_attempts)

    async def apply(self, envelope: CloudEvent, handler: Handler) -> bool:
        """Apply the effect once. Returns False when this event id was already processed."""
        try:
            event = model_for(envelope.type).model_validate(envelope.data, context=TOLERANT)
        except ValidationError as exc:
            raise PermanentFailure(f"invalid {envelope.type} data: {exc}") from exc
        try:
            async with self.db.transaction() as session:
                if not await self._claim(session, envelope):
                    return False
                await handler(session, event)
        except IntegrityError:
            # A concurrent delivery claimed the same id first: its effect stands, ours is dropped.
            async with self.db.transaction() as session:
                if await self._seen(session, envelope.id):
                    return False
            raise
        return True

    async def _seen(self, session: AsyncSession, event_id: str) -> bool:
        inbox = self.tables.inbox
        found = await session.execute(
            select(inbox.c.event_id).where(inbox.c.consumer == self.service, inbox.c.event_id == event_id)
        )
        return found.first() is not None

    async def _claim(self, session: AsyncSession, envelope: CloudEvent) -> bool:
        """The inbox row, or nothing when the event was processed before: one statement, and the
        primary key decides between two deliveries at the same moment."""
        inbox = self.tables.inbox
        claimed = await session.execute(
            upsert(
                session,
                inbox,
                {
                    "consumer": self.service,
                    "event_id": envelope.id,
                    "event_type": envelope.type,
                    "processed_at": utcnow(),
                },
                key=["consumer", "event_id"],
            ).returning(inbox.c.event_id)
        )
        return claimed.first() is not None

    async def _dead_letter(
        self, message: Message, envelope: CloudEvent | None, error: str, *, attempts: int
    ) -> None:
        # What failed, not the message's words (they may quote the data): those are in the table.
        log.error(
            "%s dead-letters %s from %s: %s (see its dead_letters row)",
            self.service,
            envelope.id if envelope else "a message",
            message.topic,
            error.split(":", 1)[0][:200],
        )
        self.stats["dead_lettered"] += 1
        tracing.current_failed("dead-lettered")
        headers = dict((k, v.decode(errors="replace")) for k, v in message.headers)
        async with self.db.transaction() as session:
            await session.execute(
                insert(self.tables.dead_letters).values(
                    id=new_id(),
                    consumer=self.service,
                    event_id=envelope.id if envelope else None,
                    event_type=envelope.type if envelope else None,
                    topic=message.topic,
                    key=message.key.decode(errors="replace") if message.key else None,
                    value=message.value.decode(errors="replace"),
                    headers=headers,
                    error=error[:4000],
                    attempts=attempts,
                    failed_at=utcnow(),
                )
            )
        extra = (
            ("x-dead-letter-error", error[:4000].encode()),
            ("x-dead-letter-consumer", self.service.encode()),
            ("x-dead-letter-original-topic", message.topic.encode()),
            ("x-dead-letter-attempts", str(attempts).encode()),
        )
        try:
            # Bounded: with the broker away, the table row above is what counts; the consumer
            # must not stall behind this copy.
            await asyncio.wait_for(
                self.bus.publish(
                    Message(
                        topic=dead_letter_topic(self.service),
                        key=message.key,
                        value=message.value,
                        headers=message.headers + extra,
                    )
                ),
                timeout=self.publish_timeout,
            )
        except Exception:
            # The row above keeps the message; the topic copy is for other tools.
            log.exception("could not publish to %s", dead_letter_topic(self.service))

    async def replay_dead_letters(self) -> dict[str, int]:
        """Re-deliver every dead letter not yet replayed; those that succeed are marked replayed."""
        table = self.tables.dead_letters
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(table).where(table.c.consumer == self.service, table.c.replayed_at.is_(None))
                )
            ).all()
        replayed = failed = 0
        for row in rows:
            headers = tuple((k, str(v).encode()) for k, v in dict(row.headers).items())
            try:
                envelope = CloudEvent.from_kafka(row.value.encode(), list(headers))
                handler = self.handlers[envelope.type]
                await self.apply(envelope, handler)
            except Exception as exc:
                failed += 1
                log.warning("replay of dead letter %s failed: %s", row.id, type(exc).__name__)
                continue
            replayed += 1
            async with self.db.transaction() as session:
                await session.execute(update(table).where(table.c.id == row.id).values(replayed_at=utcnow()))
        return {"replayed": replayed, "failed": failed}
