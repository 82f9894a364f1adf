"""The safe-write contract of every update, enumerated from the OpenAPI: a new update route is in it
the day it is written (and fails here until the access world can call it).

Per operation that takes If-Match, on a target of its own (tests/access/world.py builds them):
  - without If-Match: 428, and nothing changes (the same ETag then succeeds; no event left);
  - N copies fired together with one ETag: exactly one succeeds, the others get 412, and as many
    events leave as one update sends alone (measured on a second target);
  - after that, the old ETag stays stale (412, naming the current ETag) and the winner's ETag is it.
On SQLite the writers queue, so this passes there by construction; on PostgreSQL it is the proof.

Subclass `UpdateContract` with an `update_system` fixture giving an `UpdateSystem` of all services.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.embedded import DEFINITIONS, create_app
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.access.expected_grants import ROLES, reach_of
from tests.access.world import SPECS, WORLD_ORG, WORLD_TENANT, Builder, Caller, World
from tests.conftest import embedded_settings
from tests.support.tokens import bearer

N = 8


def _operations_taking_if_match() -> list[str]:
    app = create_app(embedded_settings(Path(tempfile.mkdtemp(prefix="openapi-")) / "data"))
    return sorted(
        operation["operationId"]
        for path in app.openapi()["paths"].values()
        for operation in path.values()
        if any(
            p["in"] == "header" and p["name"].lower() == "if-match" for p in operation.get("parameters", [])
        )
    )


UPDATES = _operations_taking_if_match()
SERVICE_OF = {op: name for name, d in DEFINITIONS.items() for op in d.policy}


@dataclass
class UpdateSystem:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    builder: Builder
    world: World


def _caller(system: UpdateSystem, operation: str) -> tuple[Caller, dict[str, str]]:
    role = next(r for r in ROLES if reach_of(operation, r) is not None)
    caller = Caller(role, WORLD_ORG, WORLD_TENANT)
    return caller, bearer(system.settings, role, org=caller.org, tenant=caller.tenant, subject=f"u-{role}")


@dataclass
class Target:
    operation: str
    method: str
    path: str
    body: Any
    etag: str
    headers: dict[str, str]
    mentions: str  # what the operation's events name: the record the path names last

    async def send(self, client: httpx.AsyncClient, if_match: str | None) -> httpx.Response:
        headers = dict(self.headers)
        if if_match is not None:
            headers["If-Match"] = if_match
        return await client.request(self.method, self.path, json=self.body, headers=headers)


async def _target(system: UpdateSystem, operation: str) -> Target:
    spec = SPECS[operation]
    assert spec.if_match is not None and spec.fresh is not None, f"{operation}: no fresh target in world.py"
    world = await spec.fresh(system.builder, system.world)
    caller, headers = _caller(system, operation)
    path = spec.path(world, caller)
    parts = [p for p in path.split("/") if p]
    ids = [p for p in parts if any(ch.isdigit() for ch in p) and p not in ("v1",)]
    return Target(
        operation=operation,
        method=spec.method,
        path=path,
        body=spec.body(world, caller) if spec.body is not None else None,
        etag=spec.if_match(world, caller),
        headers=headers,
        mentions=ids[-1] if ids else caller.tenant,
    )


async def _events_naming(system: UpdateSystem, operation: str, value: str) -> int:
    runtime = runtimes_of(system.app)[SERVICE_OF[operation]]
    outbox = runtime.definition.messaging.outbox
    async with runtime.db.transaction() as session:
        rows = (await session.execute(select(outbox.c.envelope))).all()
    return sum(1 for (envelope,) in rows if value in json.dumps(envelope, ensure_ascii=False))


class UpdateContract:
    async def test_every_update_of_the_policies_takes_if_match(self) -> None:
        updates = sorted(
            op for op, name in SERVICE_OF.items() if DEFINITIONS[name].policy[op].action == "update"
        )
        assert updates == UPDATES
        assert {"withdrawConsent", "declineCase", "updateResource", "replaceDistricts"} <= set(UPDATES)

    @pytest.mark.parametrize("operation", UPDATES)
    async def test_without_if_match_it_is_428_and_changes_nothing(
        self, operation: str, update_system: UpdateSystem
    ) -> None:
        target = await _target(update_system, operation)
        before = await _events_naming(update_system, operation, target.mentions)

        refused = await target.send(update_system.client, None)

        assert refused.status_code == 428, refused.text
        assert refused.json()["type"].endswith("/precondition-required")
        assert await _events_naming(update_system, operation, target.mentions) == before
        done = await target.send(update_system.client, target.etag)  # the ETag read still holds
        assert done.status_code == 200, done.text

    @pytest.mark.parametrize("operation", UPDATES)
    async def test_simultaneous_updates_with_one_etag_give_one_success_and_the_rest_412(
        self, operation: str, update_system: UpdateSystem
    ) -> None:
        alone = await _target(update_system, operation)
        alone_before = await _events_naming(update_system, operation, alone.mentions)
        assert (await alone.send(update_system.client, alone.etag)).status_code == 200
        one_update_sends = await _events_naming(update_system, operation, alone.mentions) - alone_before

        target = await _target(update_system, operation)
        before = await _events_naming(update_system, operation, target.mentions)
        responses = await asyncio.gather(*(target.send(update_system.client, target.etag) for _ in range(N)))

        assert Counter(r.status_code for r in responses) == {200: 1, 412: N - 1}, [r.text for r in responses]
        for loser in (r for r in responses if r.status_code == 412):
            assert loser.json()["type"].endswith("/stale-write")
        sent = await _events_naming(update_system, operation, target.mentions) - before
        assert sent == one_update_sends
        (winner,) = [r for r in responses if r.status_code == 200]
        assert winner.headers["ETag"] != target.etag
        again = await target.send(update_system.client, target.etag)
        assert again.status_code == 412, again.text
        assert again.json()["current_etag"] == winner.headers["ETag"]
