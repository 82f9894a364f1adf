"""Coordination's list of the directory's operators: events of different entries in any order.

The module's tests share one coordination-only system, each about an operator of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.coordination.organisations.models import KnownOrganisation
from services.embedded import create_app
from shared.events.catalog import ResourcePublished, ResourceUpdated
from shared.runtime import ServiceRuntime, runtimes_of
from shared.settings import Settings
from tests.api.helpers import shares_one_system
from tests.support.builders import OTOFUKE
from tests.support.directory_events import deliver

pytestmark = shares_one_system

AT = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def build_system() -> Callable[[Settings], FastAPI]:
    """Coordination alone."""
    return lambda settings: create_app(settings.model_copy(update={"services": ["coordination"]}))


@pytest.fixture
def operator() -> str:
    """The test's own operator, not in the reference data."""
    return f"016314-kyosei-npo-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def coordination(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    return runtimes_of(app)["coordination"]


def entry(
    operator: str, resource_id: str, name: str | None, at: datetime, event: type = ResourcePublished
) -> ResourcePublished:
    return event(  # type: ignore[no-any-return]
        resource_id=resource_id,
        tenant_id=OTOFUKE,
        resource_name="サロン",
        kind="community_program",
        field="other",
        legal_item=None,
        organisation_id=operator,
        status="active",
        resource_version=1,
        changed_at=at,
        organisation_name=name,
    )


async def known(coordination: ServiceRuntime, operator: str) -> KnownOrganisation:
    async with coordination.db.transaction() as session:
        found = await session.get(KnownOrganisation, operator)
        assert found is not None
        return found


async def test_the_newest_name_stands_whatever_order_the_entries_arrive_in(coordination, operator) -> None:
    newer = entry(
        operator,
        f"{operator}-salon-a",
        "社会福祉法人音更町社会福祉協議会",
        AT + timedelta(days=1),
        ResourceUpdated,
    )
    older = entry(operator, f"{operator}-salon-b", "音更町社協（旧称）", AT)

    await deliver(coordination, [newer, older])

    organisation = await known(coordination, operator)
    assert organisation.name == "社会福祉法人音更町社会福祉協議会"
    assert organisation.noted_at == AT + timedelta(days=1)
    assert organisation.tenant_id == OTOFUKE


async def test_an_entry_without_a_name_keeps_the_known_one(coordination, operator) -> None:
    await deliver(
        coordination,
        [
            entry(operator, f"{operator}-salon-a", "音更町社協", AT),
            entry(operator, f"{operator}-salon-b", None, AT + timedelta(hours=1)),
        ],
    )

    assert (await known(coordination, operator)).name == "音更町社協"
