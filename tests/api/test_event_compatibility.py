"""Services are upgraded one at a time (each commissioned organisation runs its own), so events of
another version meet the consumers: a newer producer's extra optional fields and CloudEvents
attributes are ignored, an older producer's event without the optional fields added since is read
with their defaults. Neither is dead-lettered.

The module's tests share one coordination-only system: each delivers events about entries of its own
and looks at what its consumer's counters did meanwhile."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.coordination.cases.models import Case
from services.coordination.organisations.models import KnownOrganisation
from services.embedded import create_app
from shared.bus.base import Message
from shared.events.catalog import ResourcePublished
from shared.runtime import ServiceRuntime, runtimes_of
from shared.settings import Settings
from tests.api.helpers import shares_one_system
from tests.api.test_coordination_event_order import Ids, referred

pytestmark = shares_one_system

AT = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def build_system() -> Callable[[Settings], FastAPI]:
    """Coordination alone."""
    return lambda settings: create_app(settings.model_copy(update={"services": ["coordination"]}))


@pytest.fixture
def coordination(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    return runtimes_of(app)["coordination"]


def reshaped(
    message: Message, *, data: dict[str, object], headers: tuple[tuple[str, bytes], ...] = ()
) -> Message:
    return Message(
        topic=message.topic,
        key=message.key,
        value=json.dumps(data).encode(),
        headers=message.headers + headers,
    )


async def test_a_newer_producers_optional_fields_and_attributes_are_ignored(coordination) -> None:
    ids = Ids()
    event = referred(ids)
    key, value, headers = event.to_cloudevent().to_kafka()
    original = Message(topic=event.topic(), key=key, value=value, headers=tuple(headers))
    newer = {**json.loads(value), "preferred_contact_time": "午前", "referral_channel": "portal"}
    newer["consent"] = {**newer["consent"], "renewal_due": "2027-11-20"}
    before = coordination.consumer.stats.copy()  # a Counter: 0 for what has not happened

    await coordination.consumer.deliver(
        reshaped(original, data=newer, headers=(("ce_traceparent", b"00-4bf92f-00f067-01"),))
    )

    assert coordination.consumer.stats["dead_lettered"] == before["dead_lettered"]
    assert coordination.consumer.stats["applied"] == before["applied"] + 1
    async with coordination.db.transaction() as session:
        case = await session.scalar(select(Case).where(Case.referral_id == ids.referral))
    assert case is not None
    assert "preferred_contact_time" not in json.dumps(case.consent)


async def test_an_older_producers_event_without_the_later_optional_fields_is_read(coordination) -> None:
    # A directory of the release before the facility fields: no organization_name, phone, catchment.
    older = {
        "resource_id": "016314-old-salon",
        "tenant_id": "016314",
        "resource_name": "ふれあいサロン",
        "kind": "community_program",
        "field": "other",
        "legal_item": None,
        "organization_id": "016314-old-npo",
        "status": "active",
        "resource_version": 1,
        "changed_at": AT.isoformat(),
    }
    template = ResourcePublished.model_validate({**older, "changed_at": AT}).to_cloudevent()
    key, _value, headers = template.to_kafka()
    message = Message(
        topic=ResourcePublished.topic(), key=key, value=json.dumps(older).encode(), headers=tuple(headers)
    )

    before = coordination.consumer.stats.copy()  # a Counter: 0 for what has not happened

    await coordination.consumer.deliver(message)

    assert coordination.consumer.stats["dead_lettered"] == before["dead_lettered"]
    async with coordination.db.transaction() as session:
        known = await session.get(KnownOrganisation, "016314-old-npo")
    assert known is not None and known.name is None
