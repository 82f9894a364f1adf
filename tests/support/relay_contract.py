"""The relay keeps the outbox's order through publish failures and timeouts, on both backends.

A bus that refuses (or never answers) one publish must not let a newer row overtake it: the relay
stops at the failed row and starts there again. Two relays of one service (two processes on
PostgreSQL) never interleave. Subclass `RelayContract` with a `system` fixture.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from shared.bus.base import Bus, Delivery, Message
from shared.events.catalog import ConsentWithdrawn
from shared.messaging.outbox import emit
from shared.messaging.relay import OutboxRelay, RelayBlocked
from tests.support.builders import OTOFUKE
from tests.support.system import System

AT = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


class RecordingBus:
    """Keeps what it was given, in order; refuses or stalls the publishes it is told to."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.refuse: set[str] = set()
        self.stall: set[str] = set()

    def subscribe(self, consumer: str, topics: Sequence[str], deliver: Delivery) -> None: ...

    def declare_topics(self, topics: Sequence[str]) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ping(self) -> None: ...

    async def publish(self, message: Message) -> None:
        event_id = message.header("ce_id") or ""
        if event_id in self.stall:
            await asyncio.sleep(3600)
        if event_id in self.refuse:
            raise ConnectionError("broker away")
        self.sent.append(event_id)


async def stage(system: System, count: int) -> list[str]:
    """`count` withdrawals of different consultations (different keys) in the intake outbox."""
    ids = []
    for i in range(count):
        async with system.intake.db.transaction() as session:
            event = ConsentWithdrawn(
                consent_id=f"consent-{i}",
                consultation_id=f"consultation-{i % 3}",
                tenant_id=OTOFUKE,
                withdrawn_at=AT,
            )
            ids.append(await emit(session, system.intake.definition.messaging, event))
    return ids


def relay(system: System, bus: Bus, **settings: object) -> OutboxRelay:
    return OutboxRelay(
        service="intake",
        db=system.intake.db,
        tables=system.intake.definition.messaging,
        bus=bus,
        settings=system.settings.model_copy(update=settings),
    )


class RelayContract:
    async def test_a_refused_row_holds_back_every_newer_row_until_it_goes(self, system: System) -> None:
        await system.intake.relay.stop()
        ids = await stage(system, 6)
        bus = RecordingBus()
        bus.refuse = {ids[2]}
        first = relay(system, bus)

        with pytest.raises(RelayBlocked):
            await first.publish_pending()
        with pytest.raises(RelayBlocked):
            await first.publish_pending()  # retried from the same row, nothing newer sent
        assert bus.sent == ids[:2]

        bus.refuse.clear()
        assert await first.publish_pending() == 4
        assert bus.sent == ids

    async def test_a_publish_that_never_returns_times_out_and_holds_back_the_rest(
        self, system: System
    ) -> None:
        await system.intake.relay.stop()
        ids = await stage(system, 4)
        bus = RecordingBus()
        bus.stall = {ids[1]}
        stalled = relay(system, bus, outbox_publish_timeout_seconds=0.2)

        with pytest.raises(RelayBlocked) as blocked:
            await stalled.publish_pending()
        assert "within 0.2 s" in str(blocked.value.__cause__)
        assert bus.sent == ids[:1]
        bus.stall.clear()
        await stalled.publish_pending()
        assert bus.sent == ids

    async def test_a_relay_that_died_mid_pass_is_followed_from_the_oldest_unpublished_row(
        self, system: System
    ) -> None:
        await system.intake.relay.stop()
        ids = await stage(system, 5)
        bus = RecordingBus()

        class DiesBeforeMarking(OutboxRelay):
            async def _mark_published(self, session: object, ids: Sequence[int]) -> None:
                raise RuntimeError("killed")

        dying = DiesBeforeMarking(
            service="intake",
            db=system.intake.db,
            tables=system.intake.definition.messaging,
            bus=bus,
            settings=system.settings,
        )
        with pytest.raises(RuntimeError):
            await dying.publish_pending()
        await relay(system, bus).publish_pending()

        # Everything again, in order: the repeat is the inbox's to absorb, no row skipped ahead.
        assert bus.sent == ids + ids

    async def test_two_relays_side_by_side_never_send_a_row_before_an_older_one(self, system: System) -> None:
        await system.intake.relay.stop()
        ids = await stage(system, 30)
        bus = RecordingBus()
        relays = [relay(system, bus, outbox_batch_size=7) for _ in range(2)]

        for _ in range(10):
            await asyncio.gather(*(r.publish_pending() for r in relays))

        first_sends = list(dict.fromkeys(bus.sent))
        assert first_sends == ids
        self.assert_each_row_sent_once(bus.sent, ids)

    def assert_each_row_sent_once(self, sent: list[str], ids: list[str]) -> None:
        """Embedded mode runs one relay per service, so two racing ones may repeat rows there."""
