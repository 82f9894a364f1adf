"""A running system for cross-service tests: intake and coordination, embedded or distributed.

Embedded: one app, SQLite files, the in-process bus. Distributed: two apps (one per service), each
with its own Kafka client and consumer group, on one PostgreSQL database in separate schemas.
The directory is not part of it: intake gets its windows from the directory's reference events,
delivered to its consumer (tests/support/directory_events.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from services.embedded import create_app
from shared.runtime import ServiceRuntime, runtimes_of
from shared.settings import Settings
from tests.support.directory_events import deliver_reference_windows
from tests.support.tokens import bearer


@dataclass
class System:
    intake_http: httpx.AsyncClient
    coordination_http: httpx.AsyncClient
    intake: ServiceRuntime
    coordination: ServiceRuntime
    settings: Settings


@asynccontextmanager
async def _serve(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as all-round staff of らんらん's operator (see tests/support/tokens.py)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=bearer(settings)
        ) as http:
            yield http


@asynccontextmanager
async def running_system(settings: Settings) -> AsyncIterator[System]:
    async with AsyncExitStack() as stack:
        if settings.run_mode == "embedded":
            app = create_app(settings.model_copy(update={"services": ["intake", "coordination"]}))
            http = await stack.enter_async_context(_serve(app, settings))
            runtimes = runtimes_of(app)
            await deliver_reference_windows(runtimes["intake"])
            yield System(http, http, runtimes["intake"], runtimes["coordination"], settings)
            return
        intake_app = create_app(settings.model_copy(update={"services": ["intake"]}))
        coordination_app = create_app(settings.model_copy(update={"services": ["coordination"]}))
        coordination_http = await stack.enter_async_context(_serve(coordination_app, settings))
        intake_http = await stack.enter_async_context(_serve(intake_app, settings))
        await deliver_reference_windows(runtimes_of(intake_app)["intake"])
        yield System(
            intake_http,
            coordination_http,
            runtimes_of(intake_app)["intake"],
            runtimes_of(coordination_app)["coordination"],
            settings,
        )
