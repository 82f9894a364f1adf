"""Every operation whose rule says it touches personal data, and every change, leaves its audit entry,
without its route doing anything for it: the unit of work writes it (shared/work.py).

The operations come from the services' own policy tables, so a new operation is in this test the
day it gets its rule. Each is called once, within reach, as the access matrix calls it (world.py),
with a request id of its own; its service's trail must then hold exactly one entry for that request
id: allowed, the rule's action and resource, and the record the path names. A read of data that is
not personal (the directory, the windows) leaves none.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select

from services.embedded import DEFINITIONS, create_app
from shared.auth.policy import Rule
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.access.expected_grants import ROLES, reach_of
from tests.access.world import SPECS, Builder, Caller, Spec, World
from tests.access.world import WORLD_ORG as OWN_ORG
from tests.access.world import WORLD_TENANT as OWN_TENANT
from tests.conftest import embedded_settings
from tests.support.directory_events import settled
from tests.support.tokens import bearer

pytestmark = pytest.mark.asyncio(loop_scope="module")

READS = {"read", "list", "export"}


RULES: dict[str, tuple[str, Rule]] = {
    operation: (name, rule)
    for name, definition in DEFINITIONS.items()
    for operation, rule in definition.policy.items()
}
AUDITED = sorted(op for op, (_, rule) in RULES.items() if rule.personal_data or rule.action not in READS)
NOT_AUDITED = sorted(set(RULES) - set(AUDITED))


@dataclass
class System:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    builder: Builder
    world: World


@pytest.fixture(scope="module")
def trail_settings(tmp_path_factory: pytest.TempPathFactory, migrated_data_dir: Path) -> Settings:
    data_dir = tmp_path_factory.mktemp("trail") / "data"
    shutil.copytree(migrated_data_dir, data_dir)
    return embedded_settings(data_dir, migrate_on_start=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(trail_settings: Settings) -> AsyncIterator[System]:
    app = create_app(trail_settings)
    async with app.router.lifespan_context(app):
        await settled(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            builder = Builder(client, trail_settings)
            yield System(app, client, trail_settings, builder, await builder.standing())


def _caller_within_reach(operation: str) -> Caller:
    """The first role the domain grants, in WORLD_ORG of the world's municipality (always within)."""
    for role in ROLES:
        reach = reach_of(operation, role)
        if reach is not None:
            return Caller(role, OWN_ORG, OWN_TENANT)
    raise AssertionError(f"{operation}: no role may call it")


async def _call(system: System, operation: str, request_id: str) -> tuple[httpx.Response, str]:
    spec: Spec = SPECS[operation]
    world = await spec.fresh(system.builder, system.world) if spec.fresh is not None else system.world
    caller = _caller_within_reach(operation)
    headers = {
        **bearer(
            system.settings, caller.role, org=caller.org, tenant=caller.tenant, subject=f"t-{operation}"
        ),
        "X-Request-ID": request_id,
        "X-Access-Purpose": quote("監査の確認"),
    }
    if spec.if_match is not None:
        headers["If-Match"] = spec.if_match(world, caller)
    body: Any = spec.body(world, caller) if spec.body is not None else None
    path = spec.path(world, caller)
    if isinstance(body, bytes):
        headers["Content-Type"] = "text/csv"
        response = await system.client.request(spec.method, path, content=body, headers=headers)
    else:
        response = await system.client.request(spec.method, path, json=body, headers=headers)
    return response, path


COLLECTIONS = {
    "consultations",
    "consents",
    "referrals",
    "cases",
    "support-meetings",
    "resources",
    "plans",
    "plan-meetings",
    "case-parties",
    "emergency-sharings",
}
NOT_IDS = {
    "withdrawal",
    "decline",
    "return",
    "retirement",
    "history",
    "export.csv",
    "import.csv",
    "approval",
    "support-decision",
    "report-acknowledgement",
    "termination",
    "suspension",
    "reopening",
    "notes",
    "assignment",
    "assignments",
    "assessments",
    "timeline",
    "monitoring",
    "acknowledgement",
    "confidentiality-acceptances",
    "support-meeting-links",
}


def _named_record(operation: str, path: str, response: httpx.Response) -> str | None:
    """What the entry must name: the record created; the gazetteer replaced; else the last record
    the path names (/consultations/{id}/consents/{consent_id}/withdrawal: the consent), or none."""
    if response.status_code == 201:
        return str(response.json()["id"])
    if operation == "replaceDistricts":
        return f"districts-{OWN_TENANT}"
    parts = [part for part in path.split("?")[0].split("/") if part]
    named = [value for key, value in pairwise(parts) if key in COLLECTIONS and value not in NOT_IDS]
    return named[-1] if named else None


async def _entries(system: System, service: str, request_id: str) -> list[Any]:
    runtime = runtimes_of(system.app)[service]
    table = runtime.definition.audit_table
    assert table is not None, f"{service} keeps no audit trail"
    async with runtime.db.transaction() as session:
        return list((await session.execute(select(table).where(table.c.request_id == request_id))).all())


async def test_the_policies_name_personal_data_and_changes() -> None:
    # The enumeration is not empty by accident: intake's and coordination's operations are audited.
    assert {"getConsultation", "withdrawConsent", "getCase", "conveneSupportMeeting"} <= set(AUDITED)
    assert {"publishResource", "replaceDistricts", "importResourcesCsv"} <= set(AUDITED)
    assert {"searchResources", "listWindows"} <= set(NOT_AUDITED)


@pytest.mark.parametrize("operation", AUDITED)
async def test_an_audited_operation_leaves_exactly_its_entry(operation: str, system: System) -> None:
    service, rule = RULES[operation]
    request_id = f"audit-{operation}"

    response, path = await _call(system, operation, request_id)

    assert response.is_success, f"{operation}: {response.status_code} {response.text[:300]}"
    (entry,) = await _entries(system, service, request_id)
    assert (entry.outcome, entry.status) == ("allowed", 200)
    assert (entry.action, entry.resource) == (rule.action, rule.resource)
    assert entry.subject == f"t-{operation}"
    assert entry.purpose == "監査の確認"
    assert entry.resource_id == _named_record(operation, path, response)


@pytest.mark.parametrize("operation", NOT_AUDITED)
async def test_a_read_of_data_that_is_not_personal_leaves_none(operation: str, system: System) -> None:
    service, _rule = RULES[operation]
    request_id = f"unaudited-{operation}"

    response, _path = await _call(system, operation, request_id)

    assert response.is_success, f"{operation}: {response.status_code} {response.text[:300]}"
    assert await _entries(system, service, request_id) == []
