"""A consumer whose database is away does not dead-letter: it asks the bus to hand the message over
again (a withdrawal parked in the dead letters would leave a name visible until someone replays it).

The module's tests share one system, each with an event of its own and a consumer of its own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.catalog import ConsentWithdrawn
from shared.messaging.consumer import EventConsumer, RedeliverLater
from shared.runtime import runtimes_of
from tests.api.helpers import shares_one_system
from tests.support.builders import OTOFUKE
from tests.support.directory_events import as_message

pytestmark = shares_one_system


def withdrawn() -> ConsentWithdrawn:
    """A withdrawal of a consent no other test knows."""
    return ConsentWithdrawn(
        consent_id=f"consent-{uuid.uuid4()}",
        consultation_id=f"consultation-{uuid.uuid4()}",
        tenant_id=OTOFUKE,
        withdrawn_at=datetime.now(UTC),
    )


async def test_a_database_outage_is_redelivered_not_dead_lettered(client, app) -> None:
    coordination = runtimes_of(app)["coordination"]
    event = withdrawn()
    applied: list[str] = []
    database_away = True

    async def handler(session: AsyncSession, event: ConsentWithdrawn) -> None:
        if database_away:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
        applied.append(event.consent_id)

    consumer = EventConsumer(
        service="coordination",
        db=coordination.db,
        tables=coordination.definition.messaging,
        bus=coordination.bus,
        settings=coordination.settings,
        handlers={ConsentWithdrawn: handler},
    )

    dead_letters = coordination.definition.messaging.dead_letters
    async with coordination.db.transaction() as session:
        parked = await session.scalar(select(func.count()).select_from(dead_letters))

    with pytest.raises(RedeliverLater):
        await consumer.deliver(as_message(event))
    async with coordination.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(dead_letters)) == parked

    database_away = False
    await consumer.deliver(as_message(event))  # the bus hands it over again
    assert applied == [event.consent_id]
    assert consumer.stats["applied"] == 1
    assert consumer.stats["dead_lettered"] == 0


async def test_a_message_that_fails_for_its_own_sake_is_still_dead_lettered(client, app) -> None:
    coordination = runtimes_of(app)["coordination"]

    async def handler(session: AsyncSession, event: ConsentWithdrawn) -> None:
        raise ValueError("no such case state")

    consumer = EventConsumer(
        service="coordination",
        db=coordination.db,
        tables=coordination.definition.messaging,
        bus=coordination.bus,
        settings=coordination.settings,
        handlers={ConsentWithdrawn: handler},
    )

    await consumer.deliver(as_message(withdrawn()))

    assert consumer.stats["dead_lettered"] == 1
