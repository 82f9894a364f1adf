"""The access matrix: every operation x every role x own/other organisation x own/other tenant.

What is expected comes from `expected_grants.GRANTS`, written from the domain, never from the
services' policy tables: a wrong grant in `services/<name>/access.py` turns this red. Per cell:

  - a role the domain does not grant: 403;
  - a granted role within its reach: the operation's own success status (its one 2xx in the
    OpenAPI, 200 or 201), and for a list, the world's object in it;
  - a granted role beyond its reach (another organisation's object for ORG/PARTY/MEMBER, anything of
    another municipality): 404, or the list answers without the object (a window named in a body
    answers 422 `unknown_window`, as one that does not exist does).

Each call is made so that it would succeed within reach (a valid body, the current ETag in If-Match,
a target of its own for the operations that change it): see `world.py`. One embedded system and one
world serve the whole module; the operations that change their target get fresh ones.

`test_the_table_lists_every_operation` fails when the app has an operation the table does not list
(a new route cannot be left out) and when the table lists one that is gone.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.embedded import create_app
from shared.auth.roles import Role
from shared.settings import Settings
from tests.access.expected_grants import GRANTS, ROLES, TENANT, reach_of
from tests.access.world import ABSENT, SPECS, UNKNOWN_WINDOW, Builder, Caller, Spec, World
from tests.access.world import WORLD_ORG as OWN_ORG
from tests.access.world import WORLD_TENANT as OWN_TENANT
from tests.conftest import embedded_settings
from tests.support.builders import NAGAIZUMI, WILLWORK
from tests.support.directory_events import settled
from tests.support.tokens import bearer

pytestmark = pytest.mark.asyncio(loop_scope="module")

OTHER_ORG, OTHER_TENANT = WILLWORK, NAGAIZUMI
CELLS = [(org, tenant) for org in (OWN_ORG, OTHER_ORG) for tenant in (OWN_TENANT, OTHER_TENANT)]
REFUSED = "403"


@dataclass
class System:
    client: httpx.AsyncClient
    settings: Settings
    builder: Builder
    world: World
    operations: dict[str, int]  # operationId: its success status, from the OpenAPI
    tokens: dict[Caller, dict[str, str]]

    def headers(self, caller: Caller) -> dict[str, str]:
        if caller not in self.tokens:
            self.tokens[caller] = bearer(
                self.settings,
                caller.role,
                org=caller.org,
                tenant=caller.tenant,
                subject=f"{caller.role}@{caller.org}",
            )
        return self.tokens[caller]


def _success_statuses(openapi: dict[str, Any]) -> dict[str, int]:
    statuses = {}
    for path in openapi["paths"].values():
        for operation in path.values():
            if "health" in operation.get("tags", []):
                continue
            success = [int(code) for code in operation["responses"] if code.startswith("2")]
            assert len(success) == 1, (operation["operationId"], operation["responses"].keys())
            statuses[operation["operationId"]] = success[0]
    return statuses


@pytest.fixture(scope="module")
def matrix_settings(tmp_path_factory: pytest.TempPathFactory, migrated_data_dir: Path) -> Settings:
    data_dir = tmp_path_factory.mktemp("matrix") / "data"
    shutil.copytree(migrated_data_dir, data_dir)
    return embedded_settings(data_dir, migrate_on_start=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(matrix_settings: Settings) -> AsyncIterator[System]:
    app = create_app(matrix_settings)
    async with app.router.lifespan_context(app):
        await settled(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            builder = Builder(client, matrix_settings)
            yield System(
                client=client,
                settings=matrix_settings,
                builder=builder,
                world=await builder.standing(),
                operations=_success_statuses(app.openapi()),
                tokens={},
            )


def expected(operation: str, caller: Caller, success: int) -> str:
    reach = reach_of(operation, caller.role)
    if reach is None:
        return REFUSED
    spec = SPECS[operation]
    within = not spec.aims_at_world or (
        caller.tenant == OWN_TENANT and (reach == TENANT or caller.org == OWN_ORG)
    )
    if within:
        return f"{success} listed" if spec.listed else str(success)
    return f"{success} absent" if spec.beyond == ABSENT else spec.beyond


def observed(spec: Spec, world: World, response: httpx.Response, success: int) -> str:
    status = response.status_code
    if status == success and spec.listed is not None:
        return f"{status} {'listed' if spec.listed(world, response) else 'absent'}"
    if status == 422 and any(e.get("code") == "unknown_window" for e in response.json().get("errors", [])):
        return UNKNOWN_WINDOW
    if status in (success, 403, 404):
        return str(status)
    return f"{status} {response.text[:300]}"


async def call(system: System, spec: Spec, world: World, caller: Caller) -> httpx.Response:
    headers = dict(system.headers(caller))
    if spec.if_match is not None:
        headers["If-Match"] = spec.if_match(world, caller)
    body = spec.body(world, caller) if spec.body is not None else None
    if isinstance(body, bytes):
        headers["Content-Type"] = "text/csv"
        return await system.client.request(
            spec.method, spec.path(world, caller), content=body, headers=headers
        )
    return await system.client.request(spec.method, spec.path(world, caller), json=body, headers=headers)


async def test_the_table_lists_every_operation(system: System) -> None:
    operations = set(system.operations)
    assert set(GRANTS) == operations, {
        "in the app, not in expected_grants.GRANTS": sorted(operations - set(GRANTS)),
        "in GRANTS, gone from the app": sorted(set(GRANTS) - operations),
    }
    assert set(SPECS) == operations, {
        "without a request in world.SPECS": sorted(operations - set(SPECS)),
        "in SPECS, gone from the app": sorted(set(SPECS) - operations),
    }
    assert set(ROLES) == {role.value for role in Role}, "every role is a column of GRANTS"
    assert all(len(row) == len(ROLES) for row in GRANTS.values())


@pytest.mark.parametrize("operation", sorted(GRANTS))
async def test_access_matrix(operation: str, system: System) -> None:
    assert operation in system.operations, f"{operation} is not an operation of the app"
    spec, success = SPECS[operation], system.operations[operation]
    world = system.world
    spent = True
    mismatches = []
    for role in ROLES:
        for org, tenant in CELLS:
            if spec.fresh is not None and spent:
                world = await spec.fresh(system.builder, world)
            caller = Caller(role, org, tenant)
            response = await call(system, spec, world, caller)
            spent = response.is_success
            seen, want = observed(spec, world, response, success), expected(operation, caller, success)
            if seen != want:
                mismatches.append(f"{role} org={org} tenant={tenant}: expected {want}, got {seen}")
    assert not mismatches, f"{operation}:\n" + "\n".join(mismatches)
