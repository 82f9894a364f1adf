"""Prometheus metrics of one app, in a registry of its own (prometheus-client).

One registry per app, not the process's default: the embedded app hosting five services, and the
test suites building one app after another, never collide; every series is labelled by service.

- `jusou_http_request_duration_seconds` (histogram; service, operation, status_class): each request,
  by the route's operationId and the class of its status (2xx, 4xx, 5xx);
- `jusou_consumer_messages_total` (service, outcome): what a service's consumer did with a message:
  applied, duplicate, retried, redelivery, dead_lettered;
- `jusou_event_delivery_delay_seconds` (histogram; service, event): from an event staged in the
  producer's outbox to the consumer taking it in hand; `jusou_consumer_handling_seconds` (histogram;
  service, event): how long the handling took, retries included;
- `jusou_consumer_lag` (service, topic): messages on the topic its consumer has not handled yet
  (Kafka: the high watermark less the next offset to handle; in-process: deliveries waiting);
- `jusou_outbox_backlog` (service): outbox rows not yet published, and
  `jusou_outbox_oldest_unpublished_age_seconds` (service): how long the oldest has waited (0: none);
- `jusou_db_pool_checked_out`, `jusou_db_pool_size`, `jusou_db_pool_overflow` (service): the
  service's SQLAlchemy connection pool;
- `jusou_audit_entries_total` (service, outcome): audit entries committed, `allowed` (a read or a
  change) or `denied` (a refusal);

and the client library's `process_*` and `python_gc_*` series of the process.
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CONSUMER_OUTCOMES = ("applied", "duplicate", "retried", "redelivery", "dead_lettered")
# From the floor of an audited read (about a millisecond) to a request stuck behind a lock.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# An event's way from the outbox to its consumer: milliseconds normally, minutes in an outage.
DELAY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)


class Runtime(Protocol):
    """What the metrics read of a hosted service (shared.runtime.ServiceRuntime)."""

    name: str

    @property
    def db(self) -> Any: ...

    @property
    def consumer(self) -> Any: ...

    @property
    def definition(self) -> Any: ...


Runtimes = Callable[[], Mapping[str, Runtime]]


class Metrics:
    """The metrics of one app. `runtimes` gives its hosted services once started (empty before)."""

    def __init__(self, runtimes: Runtimes) -> None:
        # No `_created` series beside each counter and histogram (the library's switch is global).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "jusou_http_request_duration_seconds",
            "HTTP requests, by the route's operationId and the status class of the answer.",
            ["service", "operation", "status_class"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.audit_entries = Counter(
            "jusou_audit_entries",
            "Audit entries committed, by outcome (allowed: a read or change; denied: a refusal).",
            ["service", "outcome"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "jusou_outbox_backlog", "Outbox rows not yet published.", ["service"], registry=self.registry
        )
        self.outbox_oldest_age = Gauge(
            "jusou_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest outbox row not yet published (0 when none).",
            ["service"],
            registry=self.registry,
        )
        self.delivery_delay = Histogram(
            "jusou_event_delivery_delay_seconds",
            "From an event staged in the producer's outbox to its consumer taking it in hand.",
            ["service", "event"],
            buckets=DELAY_BUCKETS,
            registry=self.registry,
        )
        self.handling = Histogram(
            "jusou_consumer_handling_seconds",
            "How long a consumer took over an event (its retries included).",
            ["service", "event"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "jusou_consumer_lag",
            "Messages on a topic the service's consumer has not handled yet.",
            ["service", "topic"],
            registry=self.registry,
        )
        self.registry.register(_RuntimeCollector(runtimes))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self._request_series: dict[tuple[str, str, str], Any] = {}

    def observe_request(
        self, service: str, operation: str, status: int, seconds: float, trace_id: str | None
    ) -> None:
        key = (service, operation, f"{status // 100}xx")
        series = self._request_series.get(key)
        if series is None:
            series = self._request_series[key] = self.requests.labels(*key)
        # The trace id as an exemplar (shown to an OpenMetrics scraper): a slow bucket names a trace.
        series.observe(seconds, exemplar={"trace_id": trace_id} if trace_id else None)

    def watch(self, runtimes: Mapping[str, Runtime]) -> None:
        """Count the audit entries the services' databases commit (see `audit_appended`)."""
        for name, runtime in runtimes.items():
            pool = _pool_of(runtime.db)
            if pool is not None:
                _audit_targets[pool] = (self.audit_entries, name)
            runtime.consumer.on_handled = functools.partial(self._event_handled, name)

    def _event_handled(self, service: str, event_type: str, waited: float, took: float) -> None:
        # "CaseReferred.v1" of "jp.jusou.intake.CaseReferred.v1": few series, and readable.
        event = ".".join(event_type.rsplit(".", 2)[-2:])
        self.delivery_delay.labels(service, event).observe(max(waited, 0.0))
        self.handling.labels(service, event).observe(took)

    async def refresh(self, runtimes: Mapping[str, Runtime], bus: object) -> None:
        """What is read at scrape time: each outbox's backlog, and the consumers' lag."""
        now = datetime.now(UTC)
        for name, runtime in runtimes.items():
            try:
                pending, oldest = await _outbox_state(runtime)
            except Exception as exc:
                log.warning("metrics: could not read the outbox of %s: %s", name, type(exc).__name__)
                continue
            self.outbox_backlog.labels(name).set(pending)
            self.outbox_oldest_age.labels(name).set(
                max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
            )
        consumer_lag = getattr(bus, "consumer_lag", None)
        if consumer_lag is None:
            return
        try:
            lag: Mapping[tuple[str, str], int] = await consumer_lag()
        except Exception as exc:
            log.warning("metrics: could not read the consumers' lag: %s", type(exc).__name__)
            return
        self.consumer_lag.clear()
        for (service, topic), behind in lag.items():
            self.consumer_lag.labels(service, topic).set(behind)


async def _outbox_state(runtime: Runtime) -> tuple[int, datetime | None]:
    outbox = runtime.definition.messaging.outbox
    # A read transaction: a scrape never queues behind, nor holds up, the service's writers.
    async with runtime.db.reading() as session:
        row = (
            await session.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
            )
        ).one()
    return int(row[0] or 0), row[1]


class _RuntimeCollector(Collector):
    """Read at each scrape from the running services: consumer outcomes and pool use."""

    def __init__(self, runtimes: Runtimes) -> None:
        self.runtimes = runtimes

    def collect(self) -> Iterable[Metric]:
        messages = CounterMetricFamily(
            "jusou_consumer_messages",
            "Messages handled by a service's consumer, by outcome.",
            labels=["service", "outcome"],
        )
        checked_out = GaugeMetricFamily(
            "jusou_db_pool_checked_out", "Database connections in use.", labels=["service"]
        )
        size = GaugeMetricFamily("jusou_db_pool_size", "Connections the pool keeps.", labels=["service"])
        overflow = GaugeMetricFamily(
            "jusou_db_pool_overflow", "Connections open beyond the pool's size.", labels=["service"]
        )
        for name, runtime in self.runtimes().items():
            stats = runtime.consumer.stats
            for outcome in CONSUMER_OUTCOMES:
                messages.add_metric([name, outcome], stats[outcome])
            pool = _pool_of(runtime.db)
            for family, reading in ((checked_out, "checkedout"), (size, "size"), (overflow, "overflow")):
                value = _read_pool(pool, reading)
                if value is not None:
                    family.add_metric([name], value)
        yield from (messages, checked_out, size, overflow)


def _pool_of(db: object) -> Any:
    engine = getattr(db, "engine", None)
    return getattr(engine, "pool", None)


def _read_pool(pool: Any, reading: str) -> float | None:
    method = getattr(pool, reading, None)
    if method is None:
        return None
    try:
        return max(float(method()), 0.0)
    except Exception:
        return None


# --- audit entries: counted when the entry's transaction commits ---------------------------------

_audit_targets: weakref.WeakKeyDictionary[Any, tuple[Counter, str]] = weakref.WeakKeyDictionary()
_AUDIT_KEY = "jusou.audit_appended"


def audit_appended(session: AsyncSession, outcome: str) -> None:
    """Called where an audit entry is appended (shared/auth/trail.py): the entry is counted in its
    service's `jusou_audit_entries_total` once the session commits, not at all if it rolls back."""
    pool = getattr(session.sync_session.get_bind(), "pool", None)
    target = _audit_targets.get(pool) if pool is not None else None
    if target is not None:
        session.info.setdefault(_AUDIT_KEY, []).append((target, outcome))


@sa_event.listens_for(Session, "after_commit")
def _count_audit_entries(session: Session) -> None:
    for (counter, service), outcome in session.info.pop(_AUDIT_KEY, ()):
        counter.labels(service, outcome).inc()


@sa_event.listens_for(Session, "after_rollback")
def _forget_audit_entries(session: Session) -> None:
    session.info.pop(_AUDIT_KEY, None)
