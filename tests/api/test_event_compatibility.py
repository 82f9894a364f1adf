"""Services are upgraded one at a time (each commissioned organisation runs its own), so events of
another version meet the consumers: a newer producer's extra optional fields and CloudEvents
attributes are ignored, an older producer's event without the optional fields added since is read
with their defaults. Neither is dead-lettered. A renamed field is a new event version: the
directory's entry events are at version 2 (`organisation_id`), and consumers read version 1
(`organization_id`) from a directory not yet upgraded as well.

The module's tests share one coordination-only system: each delivers events about entries of its own
and looks at what its consumer's counters did meanwhile."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select

from services.coordination.cases.models import Case
from services.coordination.organisations.models import KnownOrganisation
from services.embedded import create_app
from shared.bus.base import Message
from shared.events.catalog import (
    ResourcePublished,
    ResourcePublishedV1,
    ResourceRetired,
    ResourceRetiredV1,
    ResourceUpdated,
    ResourceUpdatedV1,
    current_resource_change,
)
from shared.events.registry import TOLERANT, Event
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
    # A directory of the release before the facility fields: version 1, with no organization_name,
    # phone or catchment.
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
    before = coordination.consumer.stats.copy()  # a Counter: 0 for what has not happened

    await coordination.consumer.deliver(as_sent(ResourcePublishedV1, older))

    assert coordination.consumer.stats["dead_lettered"] == before["dead_lettered"]
    async with coordination.db.transaction() as session:
        known = await session.get(KnownOrganisation, "016314-old-npo")
    assert known is not None and known.name is None


# --- the directory's entry events, version 2: `organisation_*` where version 1 said `organization_*`


def entry_facts(resource_id: str, operator: str, name: str, *, spelled: str) -> dict[str, object]:
    """An entry's event data, with the operator's fields spelled as that version spells them."""
    return {
        "resource_id": resource_id,
        "tenant_id": "016314",
        "resource_name": "ふれあいサロン",
        "kind": "community_program",
        "field": "other",
        "legal_item": None,
        f"{spelled}_id": operator,
        "status": "active",
        "resource_version": 1,
        "changed_at": AT.isoformat(),
        f"{spelled}_name": name,
        "operation": "commissioned",
        "phone_number": None,
        "phone_extension": None,
        "catchment_areas": ["町内一円"],
    }


def as_sent(event: type[Event], data: dict[str, object]) -> Message:
    """The data as a producer of that version puts it on the bus (its type, its topic)."""
    template = event.model_validate(data, context=TOLERANT).to_cloudevent()
    key, _value, headers = template.to_kafka()
    return Message(topic=event.topic(), key=key, value=json.dumps(data).encode(), headers=tuple(headers))


async def test_the_directory_emits_version_2_on_a_topic_of_its_own() -> None:
    assert ResourcePublished.cloudevent_type() == "jp.jusou.directory.ResourcePublished.v2"
    assert ResourcePublished.topic() == "directory.events.v2"
    assert ResourcePublishedV1.cloudevent_type() == "jp.jusou.directory.ResourcePublished.v1"
    assert "organisation_id" in ResourcePublished.model_fields
    assert "organization_id" not in ResourcePublished.model_fields
    with pytest.raises(ValidationError):  # a writer cannot send the old spelling in version 2
        ResourcePublished.model_validate(entry_facts("x", "016314-x", "x", spelled="organization"))


@pytest.mark.parametrize(
    ("event", "spelled"),
    [
        pytest.param(ResourcePublishedV1, "organization", id="old producer, new consumer (v1)"),
        pytest.param(ResourceUpdatedV1, "organization", id="old producer, new consumer (v1 update)"),
        pytest.param(ResourcePublished, "organisation", id="new producer, new consumer (v2)"),
        pytest.param(ResourceRetired, "organisation", id="new producer, new consumer (v2 retirement)"),
    ],
)
async def test_coordination_learns_the_operator_from_either_version(coordination, event, spelled) -> None:
    ids = Ids()
    operator = f"016314-npo-{ids.referral[:8]}"
    before = coordination.consumer.stats.copy()

    await coordination.consumer.deliver(
        as_sent(
            event,
            entry_facts(f"016314-salon-{ids.referral[:8]}", operator, "NPO法人ふれあい", spelled=spelled),
        )
    )

    assert coordination.consumer.stats["dead_lettered"] == before["dead_lettered"]
    assert coordination.consumer.stats["applied"] == before["applied"] + 1
    async with coordination.db.transaction() as session:
        known = await session.get(KnownOrganisation, operator)
    assert known is not None and (known.tenant_id, known.name) == ("016314", "NPO法人ふれあい")


async def test_an_old_consumer_never_sees_version_2_on_the_topic_it_reads() -> None:
    # New producer, old consumer: version 2 goes to directory.events.v2, a topic an old consumer does
    # not subscribe to, so it neither dead-letters it nor misreads it; once upgraded, its consumer
    # group reads that topic from the start (auto_offset_reset=earliest) and catches up.
    new = ResourcePublished.model_validate(entry_facts("x", "016314-x", "x", spelled="organisation"))
    assert new.topic() != ResourcePublishedV1.topic()
    # Read with version 1's model (an old consumer's), the renamed field would be missing: the reason
    # the rename is a new version and not an edit of version 1.
    with pytest.raises(ValidationError, match="organization_id"):
        ResourcePublishedV1.model_validate(new.model_dump(mode="json"), context=TOLERANT)


async def test_version_1_upgrades_to_the_version_2_event_it_stands_for() -> None:
    for old, current in (
        (ResourcePublishedV1, ResourcePublished),
        (ResourceUpdatedV1, ResourceUpdated),
        (ResourceRetiredV1, ResourceRetired),
    ):
        v1 = old.model_validate(entry_facts("r", "016314-x", "名", spelled="organization"))
        upgraded = current_resource_change(v1)
        assert type(upgraded) is current
        assert upgraded == current.model_validate(entry_facts("r", "016314-x", "名", spelled="organisation"))
