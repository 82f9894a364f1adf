"""Intake's windows follow the resource directory's events (intake alone, events handed to its consumer).

The intake app here hosts no directory: each test delivers `ResourcePublished` / `ResourceUpdated` /
`ResourceRetired` the way the bus does, then looks at what the windows list says. The module's
tests share one system, each with a window code of its own (`code`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.embedded import create_app
from services.intake.windows.models import Window
from shared.events.catalog import ResourcePublished, ResourceRetired, ResourceUpdated
from shared.runtime import ServiceRuntime, runtimes_of
from shared.settings import Settings
from tests.api.helpers import CONSULTATIONS, assert_problem, nagaizumi_staff, shares_one_system
from tests.support.builders import OTOFUKE, consultation_body
from tests.support.directory_events import as_message, deliver
from tests.support.tokens import bearer

pytestmark = shares_one_system

WINDOWS = "/intake/v1/windows"
OPERATOR = "016314-shakyo"  # 社会福祉法人音更町社会福祉協議会
CHANGED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

ResourceEvent = type[ResourcePublished] | type[ResourceUpdated] | type[ResourceRetired]


@pytest.fixture(scope="module")
def build_system() -> Callable[[Settings], FastAPI]:
    """Intake alone."""
    return lambda settings: create_app(settings.model_copy(update={"services": ["intake"]}))


@pytest.fixture
def code() -> str:
    """The test's own window, one the reference data does not have."""
    return f"016314-kyosei-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def intake(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    return runtimes_of(app)["intake"]


def change(
    code: str, event: ResourceEvent = ResourcePublished, *, version: int = 1, **overrides: Any
) -> ResourcePublished | ResourceUpdated | ResourceRetired:
    """A directory event about one window of Otofuke's social welfare council."""
    values: dict[str, Any] = {
        "resource_id": code,
        "tenant_id": OTOFUKE,
        "resource_name": "共生型相談窓口",
        "kind": "window",
        "field": "hardship",
        "legal_item": "1ニ",
        "organisation_id": OPERATOR,
        "status": "retired" if event is ResourceRetired else "active",
        "resource_version": version,
        "changed_at": CHANGED_AT,
        "organisation_name": "社会福祉法人音更町社会福祉協議会",
        "operation": "commissioned",
        "phone_number": "42-2111",
        "phone_extension": "301",
        "catchment_areas": ["音更中学校区", "駒場中学校区"],
    }
    values.update(overrides)
    return event(**values)


async def listed(client: httpx.AsyncClient, code: str, **headers: str) -> dict[str, Any] | None:
    response = await client.get(WINDOWS, headers=headers or None)
    assert response.status_code == 200, response.text
    return next((w for w in response.json() if w["code"] == code), None)


async def stored(intake: ServiceRuntime, code: str) -> Window | None:
    async with intake.db.transaction() as session:
        return await session.get(Window, code)


async def test_a_published_window_is_listed_with_what_the_directory_says(client, intake, code) -> None:
    await deliver(intake, [change(code)])

    assert await listed(client, code) == {
        "code": code,
        "tenant_id": OTOFUKE,
        "name": "共生型相談窓口",
        "field": "hardship",
        "operator_name": "社会福祉法人音更町社会福祉協議会",
        "operator_id": OPERATOR,
        "operation": "commissioned",
        "phone": "42-2111",
        "extension": "301",
        "catchment": "音更中学校区・駒場中学校区",
        "active": True,
    }


async def test_the_operators_staff_record_consultations_at_a_published_window(
    client, intake, code, settings
) -> None:
    await deliver(intake, [change(code)])
    staff = bearer(settings, "window_staff", org=OPERATOR)

    created = await client.post(CONSULTATIONS, json=consultation_body(window_code=code), headers=staff)

    assert created.status_code == 201, created.text
    assert created.json()["window_code"] == code


async def test_a_window_of_another_municipality_is_listed_only_there(client, intake, code, settings) -> None:
    theirs = code.replace("016314", "223417")
    elsewhere = change(theirs, tenant_id="223417", organisation_id=None, organisation_name=None)
    await deliver(intake, [elsewhere])

    assert await listed(client, theirs) is None
    there = await client.get(WINDOWS, headers=nagaizumi_staff(settings))
    assert theirs in [w["code"] for w in there.json()]


async def test_an_update_changes_the_window(client, intake, code) -> None:
    await deliver(intake, [change(code)])

    await deliver(
        intake,
        [
            change(
                code,
                ResourceUpdated,
                version=2,
                resource_name="共生型総合相談窓口",
                organisation_id="016314-town",
                organisation_name="音更町",
                operation="direct",
                phone_number="42-2112",
                phone_extension=None,
                catchment_areas=["町内一円"],
            )
        ],
    )

    window = await listed(client, code)
    assert window is not None
    assert (window["name"], window["operator_id"], window["operator_name"], window["operation"]) == (
        "共生型総合相談窓口",
        "016314-town",
        "音更町",
        "direct",
    )
    assert (window["phone"], window["extension"], window["catchment"]) == ("42-2112", None, "町内一円")


async def test_a_retired_window_is_kept_inactive_and_refuses_new_consultations(
    client, intake, code, settings
) -> None:
    staff = bearer(settings, "window_staff", org=OPERATOR)
    await deliver(intake, [change(code)])
    earlier = await client.post(CONSULTATIONS, json=consultation_body(window_code=code), headers=staff)
    assert earlier.status_code == 201, earlier.text

    await deliver(intake, [change(code, ResourceRetired, version=2)])

    assert await listed(client, code) is None
    window = await stored(intake, code)
    assert window is not None and window.active is False and window.resource_version == 2
    # Consultations keep pointing at it; new ones cannot be recorded there.
    assert (await client.get(f"{CONSULTATIONS}/{earlier.json()['id']}", headers=staff)).status_code == 200
    refused = await client.post(CONSULTATIONS, json=consultation_body(window_code=code), headers=staff)
    assert_problem(refused, status=422, slug="unknown-window", fields={"window_code": "unknown_window"})


async def test_an_entry_that_stops_being_a_window_is_closed(client, intake, code) -> None:
    await deliver(intake, [change(code)])

    await deliver(intake, [change(code, ResourceUpdated, version=2, kind="community_program")])

    assert await listed(client, code) is None
    window = await stored(intake, code)
    assert window is not None and window.active is False
    assert window.name == "共生型相談窓口"  # as it was while a window

    # And it opens again when it becomes a window again.
    await deliver(intake, [change(code, ResourceUpdated, version=3, resource_name="共生型相談窓口（再開）")])
    reopened = await listed(client, code)
    assert reopened is not None and reopened["name"] == "共生型相談窓口（再開）"


async def test_a_stale_version_arriving_late_changes_nothing(client, intake, code) -> None:
    await deliver(intake, [change(code), change(code, ResourceUpdated, version=3, resource_name="第3版")])

    await deliver(intake, [change(code, ResourceUpdated, version=2, resource_name="第2版")])
    await deliver(intake, [change(code, ResourcePublished, version=1, resource_name="初版")])

    window = await listed(client, code)
    assert window is not None and window["name"] == "第3版"
    assert (await stored(intake, code)).resource_version == 3


async def test_a_retirement_seen_before_the_publication_is_not_undone_by_it(client, intake, code) -> None:
    await deliver(intake, [change(code, ResourceRetired, version=2)])
    await deliver(intake, [change(code, ResourcePublished, version=1)])

    assert await listed(client, code) is None
    window = await stored(intake, code)
    assert window is not None and (window.active, window.resource_version) == (False, 2)


@pytest.mark.parametrize("kind", ["community_program", "participation_host", "outreach", "collaboration"])
async def test_entries_of_other_kinds_are_not_windows(client, intake, code, kind: str) -> None:
    await deliver(
        intake,
        [
            change(code, kind=kind),
            change(code, ResourceUpdated, version=2, kind=kind),
            change(code, ResourceRetired, version=3, kind=kind),
        ],
    )

    assert await listed(client, code) is None
    assert await stored(intake, code) is None


async def test_the_same_event_delivered_twice_is_applied_once(client, intake, code) -> None:
    published = as_message(change(code))
    await intake.consumer.deliver(published)
    await deliver(intake, [change(code, ResourceUpdated, version=2, resource_name="改称後")])
    duplicates = intake.consumer.stats["duplicate"]

    await intake.consumer.deliver(published)  # a redelivery of version 1

    assert intake.consumer.stats["duplicate"] == duplicates + 1
    window = await listed(client, code)
    assert window is not None and window["name"] == "改称後"
    async with intake.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Window).where(Window.code == code)) == 1


async def test_an_event_written_before_the_window_facts_were_added_still_applies(
    client, intake, code
) -> None:
    # A directory that did not yet send organisation name, operation, phone or areas.
    old = {
        k: v
        for k, v in change(code).model_dump(mode="json").items()
        if k not in {"organisation_name", "operation", "phone_number", "phone_extension", "catchment_areas"}
    }

    await deliver(intake, [ResourcePublished.model_validate(old)])

    window = await listed(client, code)
    assert window is not None and window["operator_id"] == OPERATOR
    assert (window["operator_name"], window["phone"], window["catchment"]) == (None, None, None)
