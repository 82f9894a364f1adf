"""Hosting services: one process runs one service (distributed) or all five (embedded).

A `ServiceDefinition` says what a service is (routes, tables, migrations, event handlers); a
`ServiceRuntime` brings it to life against a database and a bus; `build_app` puts one or more
runtimes behind one FastAPI app.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bus.base import Bus
from shared.bus.memory import InProcessBus
from shared.db import Database, database_url
from shared.errors import install_problem_handlers
from shared.events.registry import Event, dead_letter_topic, topic_for
from shared.http import BodySizeLimit, Check, RequestId, health_router
from shared.messaging.consumer import EventConsumer, Handler
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import MessagingTables
from shared.migrations import upgrade
from shared.settings import Settings

log = logging.getLogger(__name__)

Seeder = Callable[[AsyncSession], Awaitable[None]]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    metadata: MetaData
    messaging: MessagingTables
    migrations: Path
    routers: Sequence[APIRouter] = ()
    handlers: Mapping[type[Event], Handler] = field(default_factory=dict)
    # Reference data the service needs to work at all (idempotent; runs after migrations).
    seed: Seeder | None = None


class ServiceRuntime:
    def __init__(self, definition: ServiceDefinition, settings: Settings, bus: Bus) -> None:
        self.definition = definition
        self.settings = settings
        self.bus = bus
        self.name = definition.name
        self.db = Database(database_url(settings, definition.name), schema=definition.name)
        self.consumer = EventConsumer(
            service=self.name,
            db=self.db,
            tables=definition.messaging,
            bus=bus,
            settings=settings,
            handlers=definition.handlers,
        )
        self.relay = OutboxRelay(
            service=self.name, db=self.db, tables=definition.messaging, bus=bus, settings=settings
        )

    async def prepare(self) -> None:
        """Migrate, seed and subscribe; the bus starts after every runtime has subscribed."""
        if self.settings.migrate_on_start:
            await upgrade(self.db, self.definition.migrations)
        if self.definition.seed is not None:
            async with self.db.transaction() as session:
                await self.definition.seed(session)
        topics = self.consumer.topics()
        self.bus.declare_topics([topic_for(self.name), dead_letter_topic(self.name), *topics])
        if topics:
            self.bus.subscribe(self.name, topics, self.consumer.deliver)

    def start_relay(self) -> None:
        self.relay.start()

    async def stop(self) -> None:
        await self.relay.stop()

    async def dispose(self) -> None:
        await self.db.dispose()

    async def outbox_backlog(self) -> int:
        outbox = self.definition.messaging.outbox
        async with self.db.transaction() as session:
            pending = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        return int(pending or 0)

    def checks(self) -> dict[str, Check]:
        return {f"{self.name}.database": self.db.ping, f"{self.name}.bus": self.bus.ping}


def make_bus(settings: Settings, client_id: str) -> Bus:
    if settings.run_mode == "distributed":
        from shared.bus.kafka import KafkaBus  # only distributed mode needs aiokafka loaded

        return KafkaBus(settings, client_id=client_id)
    return InProcessBus()


def runtimes_of(app: FastAPI) -> dict[str, ServiceRuntime]:
    runtimes: dict[str, ServiceRuntime] = app.state.runtimes
    return runtimes


def _lifespan(
    definitions: Sequence[ServiceDefinition], settings: Settings, bus: Bus | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start order: migrate and subscribe every service, start the bus, then the relays."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not logging.getLogger().handlers:
            logging.basicConfig(
                level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
            )
        the_bus = bus or make_bus(settings, client_id="-".join(d.name for d in definitions))
        runtimes = {d.name: ServiceRuntime(d, settings, the_bus) for d in definitions}
        app.state.runtimes = runtimes
        app.state.bus = the_bus
        try:
            for runtime in runtimes.values():
                await runtime.prepare()
            await the_bus.start()
            for runtime in runtimes.values():
                runtime.start_relay()
            yield
        finally:
            for runtime in runtimes.values():
                await runtime.stop()
            await the_bus.stop()
            for runtime in runtimes.values():
                await runtime.dispose()

    return lifespan


def build_app(
    definitions: Sequence[ServiceDefinition],
    settings: Settings,
    *,
    title: str,
    description: str = "",
    bus: Bus | None = None,
) -> FastAPI:
    """One FastAPI app hosting the given services, each with its own database, sharing one bus."""

    app = FastAPI(
        title=title, description=description, version="1", lifespan=_lifespan(definitions, settings, bus)
    )
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestId)

    def all_checks(request: Request) -> dict[str, Check]:
        checks: dict[str, Check] = {}
        for runtime in runtimes_of(request.app).values():
            checks.update(runtime.checks())
        return checks

    app.include_router(health_router("", all_checks))
    app.include_router(metrics_router())
    for definition in definitions:
        name = definition.name

        def service_checks(request: Request, name: str = name) -> dict[str, Check]:
            return runtimes_of(request.app)[name].checks()

        app.include_router(health_router(f"/{name}", service_checks))
        for router in definition.routers:
            app.include_router(router)
    return app


def metrics_router() -> APIRouter:
    """Prometheus text exposition: consumer outcomes and outbox backlog per hosted service."""
    router = APIRouter(tags=["health"])

    @router.get(
        "/metrics", operation_id="metrics", summary="Prometheus metrics", response_class=PlainTextResponse
    )
    async def metrics(request: Request) -> PlainTextResponse:
        lines = [
            "# HELP jusou_consumer_messages_total Messages handled by a service's consumer, by outcome.",
            "# TYPE jusou_consumer_messages_total counter",
        ]
        backlog = [
            "# HELP jusou_outbox_backlog Outbox rows not yet published.",
            "# TYPE jusou_outbox_backlog gauge",
        ]
        for name, runtime in runtimes_of(request.app).items():
            for outcome in ("applied", "duplicate", "retried", "dead_lettered"):
                count = runtime.consumer.stats[outcome]
                lines.append(f'jusou_consumer_messages_total{{service="{name}",outcome="{outcome}"}} {count}')
            backlog.append(f'jusou_outbox_backlog{{service="{name}"}} {await runtime.outbox_backlog()}')
        return PlainTextResponse("\n".join([*lines, *backlog]) + "\n", media_type="text/plain; version=0.0.4")

    return router


def database_dependency(service: str) -> type[Database]:
    """`Annotated[Database, Depends(...)]` for a service's routes: its own database, never another's."""

    def get_database(request: Request) -> Database:
        return runtimes_of(request.app)[service].db

    return Annotated[Database, Depends(get_database)]  # type: ignore[return-value]
