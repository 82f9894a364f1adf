"""Hosting services: one process runs one service (distributed) or all five (embedded).

A `ServiceDefinition` says what a service is (routes, tables, migrations, event handlers); a
`ServiceRuntime` brings it to life against a database and a bus; `build_app` puts one or more
runtimes behind one FastAPI app.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline
from prometheus_client.exposition import choose_encoder
from sqlalchemy import MetaData, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import openapi, work
from shared.audit import has_unlinked, link_pending
from shared.auth import scope as _tenancy  # noqa: F401  (registers the query scoping)
from shared.auth.audit_api import audit_router
from shared.auth.policy import Access, Authorizer, Policy, uncovered_operations
from shared.auth.tokens import TokenVerifier
from shared.auth.trail import ReadTrail, record_refusal
from shared.bus.base import Bus
from shared.bus.memory import InProcessBus
from shared.db import Database, database_url
from shared.errors import DomainError, install_problem_handlers, render_domain_error
from shared.events.registry import Event, dead_letter_topic, registered, topic_for
from shared.http import BodySizeLimit, Check, RequestId, health_router
from shared.jobs import Job, JobRunner
from shared.logs import configure_logging, install_log_context, redact_access_logs
from shared.messaging.consumer import EventConsumer, Handler
from shared.messaging.housekeeping import Housekeeper
from shared.messaging.relay import OutboxRelay
from shared.messaging.tables import MessagingTables
from shared.migrations import upgrade
from shared.observability import tracing
from shared.observability.metrics import Metrics
from shared.observability.middleware import ObserveRequests
from shared.ratelimit import RateLimit
from shared.settings import Settings
from shared.work import UnitOfWork

log = logging.getLogger(__name__)

Seeder = Callable[[AsyncSession, Settings], Awaitable[None]]

NO_FASTAPI_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    metadata: MetaData
    messaging: MessagingTables
    migrations: Path
    # Who may call which operation: every route's operationId must have a rule, or the app won't start.
    policy: Policy = field(default_factory=dict)
    audit_table: Table | None = None
    idempotency_table: Table | None = None
    routers: Sequence[APIRouter] = ()
    handlers: Mapping[type[Event], Handler] = field(default_factory=dict)
    # Reference data the service needs to work at all (idempotent; runs after migrations).
    seed: Seeder | None = None
    # Scheduled work of its own (shared/jobs.py), started with the relay.
    jobs: Sequence[Job] = ()


def _audit_sequencer(table: Table) -> Job:
    """The service's one sequencer: links the audit entries appended since its last run."""

    async def link(db: Database, _now: datetime) -> int:
        # A look first, in a read: an idle service's sequencer never takes the writer's turn.
        async with db.reading() as session:
            if not await has_unlinked(session, table):
                return 0
        async with db.transaction() as session:
            return await link_pending(session, table)

    return Job("audit-chain", lambda s: s.audit_link_interval_seconds, link, quiet=True)


class ServiceRuntime:
    def __init__(self, definition: ServiceDefinition, settings: Settings, bus: Bus) -> None:
        self.definition = definition
        self.settings = settings
        self.bus = bus
        self.name = definition.name
        self.db = Database(
            database_url(settings, definition.name),
            schema=definition.name,
            metadata=definition.metadata,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            ping_after_idle_seconds=settings.database_ping_after_idle_seconds,
        )
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
        jobs = list(definition.jobs)
        if definition.audit_table is not None:
            jobs.append(_audit_sequencer(definition.audit_table))
        self.jobs = JobRunner(service=self.name, db=self.db, jobs=jobs, settings=settings)
        # One group commit of its reads' audit entries per service (shared/auth/trail.py).
        table = definition.audit_table
        self.read_trail = ReadTrail(self.db, table) if table is not None else None
        self.housekeeper = Housekeeper(
            service=self.name,
            db=self.db,
            tables=definition.messaging,
            idempotency_table=definition.idempotency_table,
            settings=settings,
        )

    async def prepare(self) -> None:
        """Migrate, seed and subscribe; the bus starts after every runtime has subscribed."""
        if self.settings.migrate_on_start:
            await upgrade(self.db, self.definition.migrations)
        if self.definition.seed is not None:
            async with self.db.transaction() as session:
                if not self.db.is_sqlite:
                    # Replicas starting together seed one after the other: the second finds the
                    # reference rows in place instead of racing to insert them.
                    await session.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"seed:{self.name}"}
                    )
                await self.definition.seed(session, self.settings)
        topics = self.consumer.topics()
        # Its own topics, one per version of the events it emits (`directory.events.v2` beside v1).
        produced = {cls.topic() for cls in registered().values() if cls.producer == self.name}
        self.bus.declare_topics(
            [topic_for(self.name), *sorted(produced), dead_letter_topic(self.name), *topics]
        )
        if topics:
            self.bus.subscribe(self.name, topics, self.consumer.deliver)

    def start_relay(self) -> None:
        self.relay.start()
        self.housekeeper.start()
        self.jobs.start()

    async def stop(self) -> None:
        await self.jobs.stop()
        await self.housekeeper.stop()
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
        # Here, not when the app is built: uvicorn configures its loggers between the two.
        configure_logging(settings)
        the_bus = bus or make_bus(settings, client_id="-".join(d.name for d in definitions))
        runtimes = {d.name: ServiceRuntime(d, settings, the_bus) for d in definitions}
        app.state.runtimes = runtimes
        app.state.metrics.watch(runtimes)
        app.state.bus = the_bus
        try:
            for runtime in runtimes.values():
                await runtime.prepare()
            await the_bus.start()
            for runtime in runtimes.values():
                runtime.start_relay()
            # What start-up built (modules, models, routes, schemas) lives as long as the process:
            # out of the collector's sight, a full collection no longer walks those ~200,000 objects
            # (a pause of 100 ms or more, every thousand requests or so, otherwise).
            gc.freeze()
            yield
        finally:
            gc.unfreeze()  # collectable again once the app is gone (tests start many in one process)
            for runtime in runtimes.values():
                await runtime.stop()
            await the_bus.stop()
            for runtime in runtimes.values():
                try:
                    await asyncio.wait_for(runtime.dispose(), timeout=15)
                except TimeoutError:
                    log.warning("the database pool of %s did not close within 15 s", runtime.name)

    return lifespan


def app_on_first_use(
    module_globals: dict[str, Any], create: Callable[[], FastAPI]
) -> Callable[[str], FastAPI]:
    """A service module's `__getattr__`: its `app` is built when first asked for (`uvicorn
    services.intake.app:app`), not on import. The embedded app imports every service's
    `definition` and builds one app of them all; five more apps that nobody serves would cost the
    start-up their audit and health routers, middleware and docs once more each."""

    def module_getattr(name: str) -> FastAPI:
        if name != "app":
            raise AttributeError(f"module {module_globals['__name__']!r} has no attribute {name!r}")
        app = module_globals["app"] = create()
        return app

    return module_getattr


def build_app(
    definitions: Sequence[ServiceDefinition],
    settings: Settings,
    *,
    title: str,
    description: str = "",
    bus: Bus | None = None,
) -> FastAPI:
    """One FastAPI app hosting the given services, each with its own database, sharing one bus."""
    redact_access_logs()
    install_log_context()
    tracing.configure(settings, service_name="jusou-" + "-".join(d.name for d in definitions))

    # The docs' assets come from the process, not a CDN: municipalities work on closed networks.
    app = FastAPIOffline(
        title=title,
        description=description,
        version="1",
        lifespan=_lifespan(definitions, settings, bus),
        # FastAPI's own OpenTelemetry spans would put query strings (an address typed in) on spans
        # bound for a collector, and add a span per dependency; ObserveRequests makes the one
        # server span, with the route's name and never a query (shared/observability/).
        telemetry=NO_FASTAPI_TELEMETRY,
    )
    openapi.install(
        app, {operation: rule.action for d in definitions for operation, rule in d.policy.items()}
    )
    app.state.settings = settings
    app.state.metrics = Metrics(lambda: getattr(app.state, "runtimes", {}))
    app.state.verifier = TokenVerifier(settings)
    install_problem_handlers(app)
    work.install(app)
    app.add_exception_handler(DomainError, _audited_refusal)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        import_bytes=settings.max_import_bytes,
        import_suffixes=("/import.csv", "/v1/hsds"),
    )
    app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst)
    # Inside RequestId (the span names the request's id), around everything else (refusals too).
    app.add_middleware(
        ObserveRequests,
        services=frozenset(d.name for d in definitions),
        metrics=app.state.metrics if settings.metrics_enabled else None,
        traced=settings.tracing_enabled,
    )
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
        routers = list(definition.routers)
        if definition.audit_table is not None:
            authorize = Authorizer(name, definition.policy)
            routers.append(
                audit_router(name, definition.audit_table, work_dependency(name, authorize), authorize)
            )
        for router in routers:
            uncovered = uncovered_operations(
                definition.policy, [r for r in router.routes if isinstance(r, APIRoute)]
            )
            if uncovered:
                raise RuntimeError(f"{name}: routes without an access rule: {uncovered}")
            app.include_router(router)
    return app


async def _audited_refusal(request: Request, exc: Exception) -> Response:
    """Refused attempts (401, 403, 404) on audited operations leave an entry too."""
    assert isinstance(exc, DomainError)
    target = getattr(request.state, "audit_target", None)
    if target is not None and exc.status in (401, 403, 404):
        service, rule = target
        runtime = runtimes_of(request.app).get(service)
        if runtime is not None and runtime.definition.audit_table is not None:
            path_ids = [str(v) for v in request.path_params.values()]
            try:
                await record_refusal(
                    runtime.db,
                    runtime.definition.audit_table,
                    service=service,
                    rule=rule,
                    caller=getattr(request.state, "caller", None),
                    resource_id=path_ids[-1] if path_ids else None,
                    purpose=unquote(request.headers.get("x-access-purpose") or "") or None,
                    request_id=request.headers.get("x-request-id"),
                    status=exc.status,
                )
            except Exception:
                log.exception("could not record a refused attempt in the audit trail")
    return await render_domain_error(request, exc)


def metrics_router() -> APIRouter:
    """Prometheus exposition of the app's own registry (shared/observability/metrics.py): text, or
    OpenMetrics (with the requests' trace ids as exemplars) to a scraper that asks for it."""
    router = APIRouter(tags=["health"])

    @router.get(
        "/metrics", operation_id="metrics", summary="Prometheus metrics", response_class=PlainTextResponse
    )
    async def metrics(request: Request) -> Response:
        collected: Metrics = request.app.state.metrics
        await collected.refresh(runtimes_of(request.app), getattr(request.app.state, "bus", None))
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(collected.registry), media_type=content_type)

    return router


def work_dependency(service: str, authorize: Authorizer) -> Callable[..., Awaitable[UnitOfWork]]:
    """The dependency giving a service's routes their unit of work. Each service's deps.py names
    it: `IntakeWork = Annotated[UnitOfWork, Depends(work_dependency("intake", authorize))]`."""

    # A default, not an annotation: this module's annotations are strings, `authorize` is local.
    # async, like the authorizer: a plain function would cost a threadpool hop per request.
    async def get_work(
        request: Request, response: Response, access: Access = Depends(authorize)
    ) -> UnitOfWork:
        runtime = runtimes_of(request.app)[service]
        return UnitOfWork(
            request=request,
            response=response,
            db=runtime.db,
            access=access,
            audit_table=runtime.definition.audit_table,
            idempotency_table=runtime.definition.idempotency_table,
            read_trail=runtime.read_trail,
        )

    return get_work
