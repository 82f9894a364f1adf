"""What a bus must do. Both backends carry the same bytes: a Kafka record in binary CloudEvents mode."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Message:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = field(default_factory=tuple)

    def header(self, name: str) -> str | None:
        for key, raw in self.headers:
            if key == name:
                return raw.decode(errors="replace")
        return None


# A consumer's entry point. Retries and dead-lettering are its own business, so that one bad message
# never blocks the ones behind it; it raises only when it cannot handle any message now (its
# database is away), and the bus then hands the message over again later.
Delivery = Callable[[Message], Awaitable[None]]


class Bus(Protocol):
    def subscribe(self, consumer: str, topics: Sequence[str], deliver: Delivery) -> None: ...

    def declare_topics(self, topics: Sequence[str]) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, message: Message) -> None:
        """Return only once the broker has the message (acks=all) or the bus has delivered it."""
        ...

    async def ping(self) -> None: ...
