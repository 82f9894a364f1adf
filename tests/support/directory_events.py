"""The resource directory's events, for systems that run intake without the directory.

Intake's windows are a read model of the directory's entries. Where a test starts intake alone (or
with coordination only), it gets its windows the way production does: the directory's own
`ResourcePublished` events for its reference files, built by the directory's own code and handed to
intake's consumer (inbox, decoding, handlers) as the bus would. Nothing is written behind its back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fastapi import FastAPI

from services.directory.reference.loader import reference_files, resource_in
from services.directory.resources.models import Organisation, Resource
from services.directory.resources.service import _apply, _resource_event
from shared.bus.base import Message
from shared.db import utcnow
from shared.events.catalog import ResourcePublished
from shared.events.registry import Event
from shared.runtime import ServiceRuntime, runtimes_of
from tests.support.builders import NAGAIZUMI, OTOFUKE
from tests.support.waiting import eventually

LOADER = "reference-loader"


def reference_events(tenants: Iterable[str] = (OTOFUKE, NAGAIZUMI)) -> list[ResourcePublished]:
    """What the directory emits when it loads the reference files of these municipalities: one
    `ResourcePublished` per entry (windows, programs, hosts), ids '<tenant>-<key>'."""
    wanted = set(tenants)
    now = utcnow()
    events: list[ResourcePublished] = []
    for file in reference_files():
        if file.tenant_id not in wanted:
            continue
        organizations = {
            f"{file.tenant_id}-{o.key}": Organisation(
                id=f"{file.tenant_id}-{o.key}", tenant_id=file.tenant_id, name=o.name, kind=o.kind
            )
            for o in file.organizations
        }
        for entry in file.services:
            data = resource_in(file.tenant_id, entry)
            organization = organizations.get(data.organisation_id or "")
            resource = _new_resource(f"{file.tenant_id}-{entry.key}", file.tenant_id, now)
            _apply(resource, data, organization)
            event = _resource_event("published", resource, organization, now)
            assert isinstance(event, ResourcePublished)
            events.append(event)
    return events


def _new_resource(resource_id: str, tenant_id: str, now: datetime) -> Resource:
    return Resource(
        id=resource_id,
        tenant_id=tenant_id,
        status="active",
        version=1,
        created_at=now,
        updated_at=now,
        updated_by=LOADER,
        source=None,
    )


def as_message(event: Event) -> Message:
    """The event as the relay puts it on the bus (binary CloudEvents, keyed by the aggregate)."""
    key, value, headers = event.to_cloudevent().to_kafka()
    return Message(topic=event.topic(), key=key, value=value, headers=tuple(headers))


async def deliver(intake: ServiceRuntime, events: Iterable[Event]) -> None:
    """Hand events to intake's consumer, as the bus does; fail if any was dead-lettered."""
    before = intake.consumer.stats["dead_lettered"]
    for event in events:
        await intake.consumer.deliver(as_message(event))
    assert intake.consumer.stats["dead_lettered"] == before, "intake dead-lettered a directory event"


async def deliver_reference_windows(
    intake: ServiceRuntime, tenants: Iterable[str] = (OTOFUKE, NAGAIZUMI)
) -> None:
    """Intake without the directory: give it the windows the directory would have published."""
    await deliver(intake, reference_events(tenants))


async def settled(app: FastAPI, *, within: float = 20.0) -> None:
    """Every hosted service's outbox has been relayed. In embedded mode the bus hands a message to
    its consumers before the relay marks it, so the events have also been applied: e.g. intake has
    the windows of the directory's reference data."""

    async def drained() -> bool:
        for runtime in runtimes_of(app).values():
            if await runtime.outbox_backlog():
                return False
        return True

    await eventually(drained, within=within)
