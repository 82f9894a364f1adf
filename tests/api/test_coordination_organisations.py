"""Coordination's list of the directory's operators: events of different entries in any order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.coordination.organisations.models import KnownOrganisation
from services.embedded import create_app
from shared.events.catalog import ResourcePublished, ResourceUpdated
from shared.runtime import ServiceRuntime, runtimes_of
from shared.settings import Settings
from tests.support.builders import OTOFUKE
from tests.support.directory_events import deliver

OPERATOR = "016314-kyosei-npo"  # not in the reference data
AT = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings.model_copy(update={"services": ["coordination"]}))


@pytest.fixture
def coordination(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    return runtimes_of(app)["coordination"]


def entry(
    resource_id: str, name: str | None, at: datetime, event: type = ResourcePublished
) -> ResourcePublished:
    return event(  # type: ignore[no-any-return]
        resource_id=resource_id,
        tenant_id=OTOFUKE,
        resource_name="サロン",
        kind="community_program",
        field="other",
        legal_item=None,
        organization_id=OPERATOR,
        status="active",
        resource_version=1,
        changed_at=at,
        organization_name=name,
    )


async def known(coordination: ServiceRuntime) -> KnownOrganisation:
    async with coordination.db.transaction() as session:
        found = await session.get(KnownOrganisation, OPERATOR)
        assert found is not None
        return found


async def test_the_newest_name_stands_whatever_order_the_entries_arrive_in(coordination) -> None:
    newer = entry(
        "016314-salon-a", "社会福祉法人音更町社会福祉協議会", AT + timedelta(days=1), ResourceUpdated
    )
    older = entry("016314-salon-b", "音更町社協（旧称）", AT)

    await deliver(coordination, [newer, older])

    organisation = await known(coordination)
    assert organisation.name == "社会福祉法人音更町社会福祉協議会"
    assert organisation.noted_at == AT + timedelta(days=1)
    assert organisation.tenant_id == OTOFUKE


async def test_an_entry_without_a_name_keeps_the_known_one(coordination) -> None:
    await deliver(
        coordination,
        [entry("016314-salon-a", "音更町社協", AT), entry("016314-salon-b", None, AT + timedelta(hours=1))],
    )

    assert (await known(coordination)).name == "音更町社協"
