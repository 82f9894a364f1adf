"""Liveness and readiness, for the whole process and per service; unknown routes are problems too.

The module's tests share one system, but for the one that stops the bus.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import EN, assert_problem, own_system, shares_one_system

pytestmark = shares_one_system

SERVICES = ["intake", "coordination", "participation", "outreach", "directory"]


async def test_the_process_is_alive(client) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_process_is_ready_when_every_database_and_the_bus_answer(client) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {f"{s}.{part}": "ok" for s in SERVICES for part in ("database", "bus")}


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_reports_its_own_health(client, service: str) -> None:
    alive = await client.get(f"/{service}/healthz")
    ready = await client.get(f"/{service}/readyz")

    assert alive.status_code == 200 and alive.json() == {"status": "ok"}
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {f"{service}.database": "ok", f"{service}.bus": "ok"}


@own_system  # stops the bus
async def test_the_process_is_not_ready_while_the_bus_is_down(client, app) -> None:
    bus = app.state.bus
    await bus.stop()
    try:
        overall = await client.get("/readyz")
        intake = await client.get("/intake/readyz")
        alive = await client.get("/healthz")
    finally:
        await bus.start()

    assert overall.status_code == 503
    assert overall.json()["status"] == "unavailable"
    assert overall.json()["checks"]["intake.bus"].startswith("failed")
    assert overall.json()["checks"]["intake.database"] == "ok"
    assert intake.status_code == 503
    assert alive.status_code == 200
    assert (await client.get("/readyz")).status_code == 200


async def test_an_unknown_route_is_a_404_problem(client) -> None:
    response = await client.get("/intake/v1/nothing-here")

    body = assert_problem(response, status=404, slug="http-404")
    assert body["title"] == "対象が見つかりません。"


async def test_a_wrong_method_is_a_405_problem_in_english_on_request(client) -> None:
    response = await client.delete("/intake/v1/windows", headers=EN)

    body = assert_problem(response, status=405, slug="http-405")
    assert body["title"] == "Method not allowed."
    assert response.headers["content-language"] == "en"


async def test_the_request_id_is_echoed_in_problems(client) -> None:
    response = await client.get("/intake/v1/consultations/nope", headers={"X-Request-Id": "trace-123"})

    body = assert_problem(response, status=404, slug="consultation-not-found")
    assert body["request_id"] == "trace-123"
    assert response.headers["x-request-id"] == "trace-123"


async def test_the_openapi_document_names_every_operation_once(client) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    operations = [op["operationId"] for path in response.json()["paths"].values() for op in path.values()]
    assert len(operations) == len(set(operations))
    assert {"recordConsultation", "referToCollaboration", "withdrawConsent", "declineCase"} <= set(operations)
