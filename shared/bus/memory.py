"""The in-process bus of embedded mode.

`publish` delivers to every subscribed consumer before it returns, so the relay marks an outbox row
published only after the consumers have handled it (or dead-lettered it): a crash in between means a
re-publish, which the consumers' inboxes absorb. Messages to topics without subscribers (the
dead-letter topics) are kept in a bounded log for inspection.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict, deque
from collections.abc import Sequence

from shared.bus.base import Delivery, Message

_LOG_LENGTH = 10_000


class InProcessBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[tuple[str, Delivery]]] = defaultdict(list)
        self._consumer_locks: dict[str, asyncio.Lock] = {}
        self.log: dict[str, deque[Message]] = defaultdict(lambda: deque(maxlen=_LOG_LENGTH))
        self.started = False
        # Messages handed to a consumer and not handled yet (waiting for its lock, or in its hands),
        # per (consumer, topic): the in-process counterpart of a Kafka group's lag.
        self._pending: Counter[tuple[str, str]] = Counter()

    def subscribe(self, consumer: str, topics: Sequence[str], deliver: Delivery) -> None:
        for topic in topics:
            self._subscribers[topic].append((consumer, deliver))
        self._consumer_locks.setdefault(consumer, asyncio.Lock())

    def declare_topics(self, topics: Sequence[str]) -> None:
        """Topics need no creation in memory."""

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def publish(self, message: Message) -> None:
        if not self.started:
            raise RuntimeError("in-process bus is not started")
        self.log[message.topic].append(message)
        for consumer, deliver in self._subscribers.get(message.topic, []):
            key = (consumer, message.topic)
            self._pending[key] += 1
            try:
                # One message at a time per consumer, as one Kafka partition would give it.
                async with self._consumer_locks[consumer]:
                    await deliver(message)
            finally:
                self._pending[key] -= 1

    async def consumer_lag(self) -> dict[tuple[str, str], int]:
        """Per (consumer, topic): messages published to it and not handled yet."""
        return {
            (consumer, topic): self._pending[(consumer, topic)]
            for topic, subscribers in self._subscribers.items()
            for consumer, _ in subscribers
        }

    async def ping(self) -> None:
        if not self.started:
            raise RuntimeError("in-process bus is not started")
