"""W3C trace context, through HTTP and the events (OpenTelemetry API and SDK).

One referral is one trace: the window's request starts (or continues, from a front-end's
`traceparent` header) a server span; every event staged in the outbox while it runs carries that
span's `traceparent` (and `tracestate`) as CloudEvents extension attributes (the CloudEvents
distributed-tracing extension; `ce_traceparent` in Kafka's binary mode); the consumer that handles
the event continues the trace in a consumer span, and what it emits in turn carries the trace on.

Spans are always made while `TRACING_ENABLED` (the default), so ids reach the logs and the events;
they are recorded, and leave the process, only when an exporter is configured:
`OTEL_EXPORTER=console` (one JSON document per span on stdout) or `otlp` (OTLP over HTTP, to
`OTEL_EXPORTER_OTLP_ENDPOINT`, by default `http://localhost:4318`). Without one, a span is only its
ids (`_WhenExported`): cheap. Sampling follows the SDK's `OTEL_TRACES_SAMPLER` (parent-based, always
on by default); the service name `OTEL_SERVICE_NAME`.

Span attributes name operations, event types, topics and ids, never a query string or a body: what
a span says may leave the municipality's network for a collector, and personal data must not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import sampling as sampling_api
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

    from shared.events.envelope import CloudEvent
    from shared.settings import Settings

log = logging.getLogger(__name__)

TRACER_NAME = "jusou"
_W3C = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_exporting = False
# A proxy until `configure` installs the provider, then its tracer: made once, not per span.
_tracer = trace.get_tracer(TRACER_NAME)


def configure(settings: Settings, *, service_name: str) -> None:
    """Install the process's tracer provider once (the first app built sets it; an exporter is
    added only if configured). Later calls change nothing: OpenTelemetry's provider is global."""
    global _provider, _tracer
    if not settings.tracing_enabled or _provider is not None:
        return
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider

    # OTEL_SERVICE_NAME, when set, wins over the default name (Resource.create reads it); the
    # sampler is the SDK's from OTEL_TRACES_SAMPLER (parent-based, always on, by default).
    resource = Resource.create({SERVICE_NAME: service_name})
    _provider = TracerProvider(
        resource=resource, sampler=_WhenExported(sampling_api._get_from_env_or_default())
    )
    trace.set_tracer_provider(_provider)
    _tracer = _provider.get_tracer(TRACER_NAME)
    exporter = settings.otel_exporter
    if exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

        add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    log.info("tracing on, exporter %s", exporter)


def add_span_processor(processor: SpanProcessor) -> None:
    """Where ended spans go (an exporter's processor; an in-memory one in tests). Until one is
    added, spans are not recorded at all, only their ids made and passed on."""
    global _exporting
    if _provider is None:
        raise RuntimeError("tracing is not configured (TRACING_ENABLED=false?)")
    _provider.add_span_processor(processor)
    _exporting = True


class _WhenExported(sampling_api.Sampler):
    """Record a span only when something takes ended spans. Without an exporter every span is a
    non-recording one: it still has its trace and span ids (for the logs, the events and the
    calls on), at a fraction of the cost of recording attributes and times nobody reads. The
    sampled flag it passes on is then cleared: nothing of this process's trace is kept."""

    def __init__(self, delegate: sampling_api.Sampler) -> None:
        self.delegate = delegate

    def should_sample(
        self, parent_context: otel_context.Context | None, *args: Any, **kwargs: Any
    ) -> sampling_api.SamplingResult:
        if not _exporting:
            # The caller's tracestate is passed on as it came.
            parent = trace.get_current_span(parent_context).get_span_context()
            return sampling_api.SamplingResult(sampling_api.Decision.DROP, trace_state=parent.trace_state)
        return self.delegate.should_sample(parent_context, *args, **kwargs)

    def get_description(self) -> str:
        return f"WhenExported{{{self.delegate.get_description()}}}"


def provider() -> TracerProvider | None:
    """The SDK provider this process installed (tests add an in-memory exporter to it)."""
    return _provider


def tracer() -> trace.Tracer:
    return _tracer


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span, as 32 and 16 hex digits; None outside a trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def outgoing() -> dict[str, str]:
    """The current trace context as W3C fields (`traceparent`, and `tracestate` if any); empty outside
    a trace. What an event staged now carries."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier


def incoming(traceparent: str | None, tracestate: str | None = None) -> otel_context.Context | None:
    """The context a W3C `traceparent` (and `tracestate`) continues; None when absent or invalid,
    and the work then starts a trace of its own."""
    if not traceparent:
        return None
    carrier = {"traceparent": traceparent}
    if tracestate:
        carrier["tracestate"] = tracestate
    context = _W3C.extract(carrier)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


@contextmanager
def consuming(service: str, envelope: CloudEvent, topic: str) -> Iterator[Span]:
    """A consumer's handling of one event, in the trace the event carries (or a new one)."""
    parent = incoming(envelope.traceparent, envelope.tracestate)
    name = envelope.type.rsplit(".", 2)[-2] if envelope.type.count(".") >= 2 else envelope.type
    with tracer().start_as_current_span(
        f"{service} handles {name}",
        context=parent,
        kind=SpanKind.CONSUMER,
        # Not the exception's message or stack: a driver's error quotes the values it was given.
        record_exception=False,
        set_status_on_exception=False,
        attributes={
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": service,
            "messaging.message.id": envelope.id,
            "cloudevents.event_type": envelope.type,
            "cloudevents.event_subject": envelope.subject,
        },
    ) as span:
        try:
            yield span
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__name__)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def current_failed(what: str) -> None:
    """Mark the current span (if any) failed: a dead letter, which raises nothing."""
    trace.get_current_span().set_status(Status(StatusCode.ERROR, what[:200]))
