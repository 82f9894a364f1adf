"""The OpenAPI document a front-end team generates its client from (read from one shared system)."""

from __future__ import annotations

import re

from tests.api.helpers import shares_one_system

pytestmark = shares_one_system


async def test_every_operation_has_a_chosen_unique_name_and_a_summary(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    names = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            name = operation.get("operationId", "")
            # FastAPI's generated ids look like "list_cases_coordination_v1_cases_get"; ours are chosen.
            assert not name.endswith(f"_{method}"), f"{method.upper()} {path} has a generated operationId"
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            names.append(name)
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) for n in names)


async def test_the_docs_page_is_served(client) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def spec_of(client) -> dict:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if not operation["operationId"].startswith(("healthz", "readyz", "metrics")):
                yield path, method, operation


async def test_errors_are_declared_as_problem_json_as_they_are_sent(client) -> None:
    spec = await spec_of(client)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    checked = 0
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert list(response["content"]) == ["application/problem+json"], (method, path, status)
                checked += 1
        assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)
    assert checked > 200


async def test_the_safe_write_headers_are_declared_where_they_are_read(client) -> None:
    spec = await spec_of(client)
    headers = {
        operation["operationId"]: {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        for _path, _method, operation in operations(spec)
    }
    creates = [
        operation["operationId"]
        for _path, method, operation in operations(spec)
        if method == "post" and "201" in operation["responses"]
    ]
    assert {"recordConsultation", "recordConsent", "referToCollaboration", "conveneSupportMeeting"} <= set(
        creates
    )
    for name in creates:
        assert "Idempotency-Key" in headers[name], name
    assert all("Accept-Language" in names for names in headers.values())


async def test_the_docs_load_their_assets_from_the_process_not_a_cdn(client) -> None:
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        assert "cdn." not in html and "jsdelivr" not in html, page
        assets = re.findall(r'(?:src|href)="(/static-offline-docs/[^"]+)"', html)
        assert assets, page
        for asset in assets:
            response = await client.get(asset)
            assert response.status_code == 200, asset
            assert len(response.content) > 1000, asset


async def test_updates_of_shared_records_declare_if_match_and_its_problems(client) -> None:
    spec = await spec_of(client)
    conditional = {
        operation["operationId"]
        for _path, _method, operation in operations(spec)
        if any(p["in"] == "header" and p["name"] == "If-Match" for p in operation.get("parameters", []))
    }
    assert conditional == {
        "withdrawConsent",
        "declineCase",
        "returnCase",
        "updateResource",
        "retireResource",
        "replaceDistricts",
        "revisePlan",
        "approvePlan",
        "decideSupport",
        "acknowledgePlanReport",
        "terminateCase",
        "suspendCase",
        "reopenCase",
        "assignCase",
        "changeCaseParty",
        "acknowledgeEmergencySharing",
    }
    for _path, _method, operation in operations(spec):
        if operation["operationId"] in conditional:
            assert {"412", "428"} <= set(operation["responses"]), operation["operationId"]
