"""What an operator on call sees: the metrics after some requests, the trace of one referral from the
window's request through the bus to coordination, and log lines naming the request and the trace.

The module's tests share one system (embedded: SQLite files, the in-process bus).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from shared.bus.base import Message
from shared.logs import ACCESS_LOGGER, JsonLogFormatter
from shared.observability import tracing
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.api.helpers import (
    CONSULTATIONS,
    case_of,
    coordination_outbox,
    intake_outbox,
    record_consultation,
    referred_consultation,
    shares_one_system,
)
from tests.api.test_coordination_event_order import Ids, referred
from tests.support import metrics
from tests.support.builders import consent_body
from tests.support.waiting import eventually

pytestmark = shares_one_system

# A front-end's trace, as its W3C header says it (https://www.w3.org/TR/trace-context/).
FRONT_END_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def front_end_traceparent() -> dict[str, str]:
    return {"traceparent": f"00-{FRONT_END_TRACE}-00f067aa0ba902b7-01", "tracestate": "vendor=opaque"}


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span the process ends, kept in memory (the exporter an operator would configure)."""
    tracing.configure(Settings(), service_name="jusou-tests")
    provider = tracing.provider()
    assert provider is not None, "tracing is on by default"
    exporter = InMemorySpanExporter()
    tracing.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def trace_of(traceparent: str) -> str:
    version, trace_id, _span_id, _flags = traceparent.split("-")
    assert version == "00"
    return trace_id


def hex_trace(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


# --- metrics -------------------------------------------------------------------------------------


async def test_metrics_name_each_operation_with_its_status_class(client) -> None:
    consultation = await record_consultation(client)
    assert (await client.get(f"{CONSULTATIONS}/{consultation['id']}")).status_code == 200
    assert (await client.get(f"{CONSULTATIONS}/{uuid.uuid4()}")).status_code == 404

    text = (await client.get("/metrics")).text

    latency = "jusou_http_request_duration_seconds_count"
    read = {"service": "intake", "operation": "getConsultation"}
    assert (metrics.value(text, latency, **read, status_class="2xx") or 0) >= 1
    assert (metrics.value(text, latency, **read, status_class="4xx") or 0) >= 1
    created = {"service": "intake", "operation": "recordConsultation", "status_class": "2xx"}
    assert (metrics.value(text, latency, **created) or 0) >= 1
    # A histogram: its buckets are there, from a millisecond up.
    assert (
        metrics.value(
            text, "jusou_http_request_duration_seconds_bucket", **read, status_class="2xx", le="0.001"
        )
        is not None
    )


async def test_a_path_no_route_serves_is_one_series_not_one_per_path(client) -> None:
    for _ in range(2):
        await client.get(f"/nowhere/{uuid.uuid4()}")

    text = (await client.get("/metrics")).text

    names = {
        labels
        for name, labels in metrics.samples(text)
        if name == "jusou_http_request_duration_seconds_count"
    }
    unmatched = [dict(labels) for labels in names if dict(labels)["operation"] == "unmatched"]
    assert unmatched == [{"service": "process", "operation": "unmatched", "status_class": "4xx"}]


async def test_metrics_count_the_audit_entries_committed_allowed_and_denied(client) -> None:
    before = (await client.get("/metrics")).text
    consultation = await record_consultation(client)
    await client.get(f"{CONSULTATIONS}/{consultation['id']}")
    await client.get(f"{CONSULTATIONS}/{uuid.uuid4()}")  # refused (404): recorded as denied

    async def counted() -> str | None:
        # The refusal's entry commits in its own transaction, right after the answer.
        text = (await client.get("/metrics")).text
        denied = metrics.value(text, "jusou_audit_entries_total", service="intake", outcome="denied") or 0
        return (
            text
            if denied
            > (metrics.value(before, "jusou_audit_entries_total", service="intake", outcome="denied") or 0)
            else None
        )

    after = await eventually(counted)
    entries = "jusou_audit_entries_total"
    allowed_before = metrics.value(before, entries, service="intake", outcome="allowed") or 0
    # The create and the read: two entries.
    assert (metrics.value(after, entries, service="intake", outcome="allowed") or 0) >= allowed_before + 2


async def test_metrics_show_each_services_outbox_pool_and_consumer_lag(client) -> None:
    await referred_consultation(client)

    text = (await client.get("/metrics")).text

    for service in ("intake", "coordination", "participation", "outreach", "directory"):
        assert metrics.value(text, "jusou_outbox_backlog", service=service) is not None
        age = metrics.value(text, "jusou_outbox_oldest_unpublished_age_seconds", service=service)
        assert age is not None and age >= 0
        assert (metrics.value(text, "jusou_db_pool_size", service=service) or 0) >= 1
        assert metrics.value(text, "jusou_db_pool_checked_out", service=service) is not None
        for outcome in ("applied", "duplicate", "retried", "redelivery", "dead_lettered"):
            assert (
                metrics.value(text, "jusou_consumer_messages_total", service=service, outcome=outcome)
                is not None
            )
    # What coordination reads: the referral is handed over, and then nothing waits.
    lag = "jusou_consumer_lag"
    assert metrics.value(text, lag, service="coordination", topic="intake.events.v1") in (0, 1)

    async def caught_up() -> bool:
        later = (await client.get("/metrics")).text
        return metrics.value(later, lag, service="coordination", topic="intake.events.v1") == 0

    await eventually(caught_up)
    later = (await client.get("/metrics")).text
    referred_event = {"service": "coordination", "event": "CaseReferred.v1"}
    assert (metrics.value(later, "jusou_event_delivery_delay_seconds_count", **referred_event) or 0) >= 1
    assert (metrics.value(later, "jusou_consumer_handling_seconds_count", **referred_event) or 0) >= 1
    delay = metrics.value(later, "jusou_event_delivery_delay_seconds_sum", **referred_event)
    assert delay is not None and delay >= 0
    assert metrics.value(text, lag, service="intake", topic="directory.events.v2") is not None
    # The process's own series come from the client library.
    assert metrics.value(text, "process_resident_memory_bytes") is not None


async def test_an_openmetrics_scraper_gets_the_requests_trace_ids_as_exemplars(client, spans) -> None:
    await client.get("/intake/v1/windows", headers=front_end_traceparent())

    response = await client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})

    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert f'trace_id="{FRONT_END_TRACE}"' in response.text


# --- traces --------------------------------------------------------------------------------------


async def test_a_front_ends_trace_continues_in_the_request_and_its_events(client, app, spans) -> None:
    consultation = await record_consultation(client)
    consented = await client.post(
        f"{CONSULTATIONS}/{consultation['id']}/consents",
        json=consent_body(),
        headers=front_end_traceparent(),
    )
    assert consented.status_code == 201, consented.text

    rows = [row for row in await intake_outbox(app) if row.key == consultation["id"]]
    recorded = [row for row in rows if row.event_type.endswith(".ConsentRecorded.v1")]
    assert len(recorded) == 1
    envelope = recorded[0].envelope
    assert trace_of(envelope["traceparent"]) == FRONT_END_TRACE
    assert envelope["tracestate"] == "vendor=opaque"
    server = [
        s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER and s.name == "recordConsent"
    ]
    assert FRONT_END_TRACE in {hex_trace(s) for s in server}


async def test_one_referral_is_one_trace_from_the_window_to_the_case(client, app, spans) -> None:
    consultation, referral = await referred_consultation(client)
    case = await case_of(client, referral["id"])

    referred = [
        row
        for row in await intake_outbox(app)
        if row.key == consultation["id"] and row.event_type.endswith(".CaseReferred.v1")
    ]
    assert len(referred) == 1
    trace_id = trace_of(referred[0].envelope["traceparent"])
    # The window's request: the server span the envelope names as parent.
    finished = spans.get_finished_spans()
    request = [s for s in finished if s.kind == SpanKind.SERVER and s.name == "referToCollaboration"]
    assert trace_id in {hex_trace(s) for s in request}
    # Coordination's handling continues it...
    handled = [
        s for s in finished if s.name == "coordination handles CaseReferred" and hex_trace(s) == trace_id
    ]
    assert len(handled) == 1
    assert handled[0].kind == SpanKind.CONSUMER
    assert handled[0].attributes is not None
    assert handled[0].attributes["messaging.message.id"] == referred[0].event_id
    # ...and what it emits carries it on, back to the window.
    opened = [
        row
        for row in await coordination_outbox(app)
        if row.event_type.endswith(".CaseOpened.v1") and row.envelope["data"].get("case_id") == case["id"]
    ]
    assert [trace_of(row.envelope["traceparent"]) for row in opened] == [trace_id]


async def test_an_envelope_from_before_trace_context_is_handled_in_a_trace_of_its_own(app, spans) -> None:
    coordination = runtimes_of(app)["coordination"]
    event = referred(Ids())
    key, value, headers = event.to_cloudevent().to_kafka()  # outside any span: no trace context
    assert not [name for name, _ in headers if name in ("ce_traceparent", "ce_tracestate")]
    before = coordination.consumer.stats.copy()

    await coordination.consumer.deliver(
        Message(topic=event.topic(), key=key, value=value, headers=tuple(headers))
    )

    assert coordination.consumer.stats["applied"] == before["applied"] + 1
    assert coordination.consumer.stats["dead_lettered"] == before["dead_lettered"]
    envelope_id = dict(headers)["ce_id"].decode()
    handled = [
        s
        for s in spans.get_finished_spans()
        if (s.attributes or {}).get("messaging.message.id") == envelope_id
    ]
    assert len(handled) == 1 and handled[0].parent is None


# --- logs ----------------------------------------------------------------------------------------


async def test_an_access_line_is_json_naming_the_request_and_its_trace(app, settings) -> None:
    """Through uvicorn, as served: its access line is made inside the request."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonLogFormatter())
    access = logging.getLogger(ACCESS_LOGGER)
    access.addHandler(handler)
    previous_level = access.level
    access.setLevel(logging.INFO)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _started(server))
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.get(
                "/directory/v1/districts/lookup",
                params={"address": "音更町柏寿台"},
                headers={**front_end_traceparent(), "x-request-id": "req-observability-1"},
            )
    finally:
        server.should_exit = True
        await serving
        access.removeHandler(handler)
        access.setLevel(previous_level)

    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    mine = [r for r in records if r.get("request_id") == "req-observability-1"]
    assert len(mine) == 1, records
    line = mine[0]
    assert response.headers["x-request-id"] == "req-observability-1"
    assert line["trace_id"] == FRONT_END_TRACE
    assert len(line["span_id"]) == 16
    assert line["logger"] == ACCESS_LOGGER and line["level"] == "INFO"
    assert line["http_method"] == "GET" and line["http_status"] == response.status_code
    # What was typed stays out of the log: the parameter's name only.
    assert line["http_path"] == "/directory/v1/districts/lookup?address=…"
    assert "柏寿台" not in json.dumps(line, ensure_ascii=False)


async def _started(server: uvicorn.Server) -> bool | None:
    await asyncio.sleep(0)
    return True if server.started else None


async def test_a_dead_lettered_event_fails_its_span_without_quoting_the_error(app, spans) -> None:
    coordination = runtimes_of(app)["coordination"]
    event = referred(Ids())
    key, value, headers = event.to_cloudevent().to_kafka()
    broken = {**json.loads(value), "tenant_id": {"not": "a code"}}
    before = coordination.consumer.stats.copy()

    await coordination.consumer.deliver(
        Message(topic=event.topic(), key=key, value=json.dumps(broken).encode(), headers=tuple(headers))
    )

    assert coordination.consumer.stats["dead_lettered"] == before["dead_lettered"] + 1
    envelope_id = dict(headers)["ce_id"].decode()
    [span] = [
        s
        for s in spans.get_finished_spans()
        if (s.attributes or {}).get("messaging.message.id") == envelope_id
    ]
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "dead-lettered"
    assert span.events == ()  # no exception event: its message would quote the data
