"""Trace context on the envelope, and the log lines' format and fields, without a system."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from shared.events.envelope import CloudEvent
from shared.logs import (
    ACCESS_LOGGER,
    JsonLogFormatter,
    TextLogFormatter,
    configure_logging,
    install_log_context,
    request_id_var,
)
from shared.observability import tracing
from shared.settings import Settings

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def envelope(**attributes: str) -> CloudEvent:
    return CloudEvent(
        source="/jusou/intake", type="jp.jusou.intake.CaseReferred.v1", subject="c-1", data={}, **attributes
    )


def test_the_trace_context_travels_as_ce_headers_and_comes_back() -> None:
    sent = envelope(traceparent=TRACEPARENT, tracestate="vendor=opaque")

    _, value, headers = sent.to_kafka()
    received = CloudEvent.from_kafka(value, headers)

    assert ("ce_traceparent", TRACEPARENT.encode()) in headers
    assert received.traceparent == TRACEPARENT and received.tracestate == "vendor=opaque"
    assert CloudEvent.model_validate(sent.to_json()) == sent  # as the outbox stores it


def test_an_envelope_without_trace_context_has_no_such_headers() -> None:
    _, _, headers = envelope().to_kafka()

    assert not [name for name, _ in headers if name in ("ce_traceparent", "ce_tracestate")]
    assert "traceparent" not in envelope().to_json()


@pytest.mark.parametrize(
    "traceparent", [None, "", "00-4bf92f-00f067-01", "ff-" + "0" * 32 + "-" + "0" * 16 + "-01"]
)
def test_a_missing_or_malformed_traceparent_continues_nothing(traceparent: str | None) -> None:
    assert tracing.incoming(traceparent) is None


def test_a_valid_traceparent_is_continued() -> None:
    context = tracing.incoming(TRACEPARENT)

    assert context is not None
    assert trace.get_current_span(context).get_span_context().trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736


def test_outside_a_span_nothing_is_carried() -> None:
    assert tracing.outgoing() == {}
    assert tracing.current_ids() is None


def test_inside_a_span_its_context_is_carried() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work", context=tracing.incoming(TRACEPARENT)):
        carried = tracing.outgoing()
        ids = tracing.current_ids()

    assert carried["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert ids is not None and ids[0] == "4bf92f3577b34da6a3ce929d0e0e4736"


# --- logs ----------------------------------------------------------------------------------------


def record(
    message: str = "hello %s", args: tuple[object, ...] = ("world",), name: str = "jusou"
) -> logging.LogRecord:
    install_log_context()
    return logging.getLogger(name).makeRecord(name, logging.INFO, __file__, 1, message, args, None)


def test_a_record_names_the_request_and_the_trace_it_was_made_in() -> None:
    tracer = TracerProvider().get_tracer("test")
    token = request_id_var.set("req-1")
    try:
        with tracer.start_as_current_span("work", context=tracing.incoming(TRACEPARENT)):
            inside = record()
    finally:
        request_id_var.reset(token)
    outside = record()

    line = json.loads(JsonLogFormatter().format(inside))
    assert line["message"] == "hello world" and line["level"] == "INFO" and line["logger"] == "jusou"
    assert line["request_id"] == "req-1"
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" and len(line["span_id"]) == 16
    assert "time" in line
    empty = json.loads(JsonLogFormatter().format(outside))
    assert (empty["request_id"], empty["trace_id"], empty["span_id"]) == (None, None, None)


def test_an_access_line_gives_method_path_and_status_apart() -> None:
    access = record(
        '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", "/x?address=…", "1.1", 200), ACCESS_LOGGER
    )

    line = json.loads(JsonLogFormatter().format(access))

    assert (line["http_method"], line["http_path"], line["http_status"]) == ("GET", "/x?address=…", 200)


def test_text_lines_end_with_the_ids_when_there_are_any() -> None:
    token = request_id_var.set("req-2")
    try:
        line = TextLogFormatter().format(record())
    finally:
        request_id_var.reset(token)

    assert line.endswith("INFO jusou hello world request_id=req-2")


@pytest.fixture
def uvicorn_handler() -> Iterator[logging.Handler]:
    """A handler as uvicorn's own logging config installs it on its access logger."""
    from uvicorn.logging import AccessFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(AccessFormatter())
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("mode", "log_format", "expected"),
    [
        ("distributed", None, JsonLogFormatter),
        ("embedded", None, TextLogFormatter),
        ("embedded", "json", JsonLogFormatter),
        ("distributed", "text", TextLogFormatter),
    ],
)
def test_uvicorns_lines_take_the_configured_format(
    uvicorn_handler: logging.Handler, tmp_path: Path, mode: str, log_format: str | None, expected: type
) -> None:
    settings = Settings(run_mode=mode, data_dir=tmp_path, log_format=log_format)  # type: ignore[arg-type]

    configure_logging(settings)

    assert type(uvicorn_handler.formatter) is expected


def test_an_operators_own_formatter_is_kept(uvicorn_handler: logging.Handler, tmp_path: Path) -> None:
    own = logging.Formatter("%(message)s")
    uvicorn_handler.setFormatter(own)

    configure_logging(Settings(run_mode="distributed", data_dir=tmp_path))

    assert uvicorn_handler.formatter is own


@pytest.mark.parametrize("exporting", [False, True])
def test_spans_are_recorded_only_when_exported_and_their_ids_pass_on_either_way(
    monkeypatch: pytest.MonkeyPatch, exporting: bool
) -> None:
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    monkeypatch.setattr(tracing, "_exporting", exporting)
    tracer = TracerProvider(sampler=tracing._WhenExported(ALWAYS_ON)).get_tracer("test")
    parent = tracing.incoming(TRACEPARENT, "vendor=opaque")

    with tracer.start_as_current_span("work", context=parent) as span:
        carried = tracing.outgoing()

    assert span.is_recording() is False  # ended
    assert carried["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert carried["tracestate"] == "vendor=opaque"
    assert carried["traceparent"].endswith("-01" if exporting else "-00")
    assert type(span).__name__ == ("_Span" if exporting else "NonRecordingSpan")


@pytest.mark.parametrize(
    ("exporter", "expected"), [("otlp", "OTLPSpanExporter"), ("console", "ConsoleSpanExporter")]
)
def test_the_configured_exporter_takes_the_spans(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, exporter: str, expected: str
) -> None:
    """Built, not sent to: the process's provider stays the one it has (OpenTelemetry sets it once)."""
    monkeypatch.setattr(tracing, "_provider", None)
    monkeypatch.setattr(tracing, "_tracer", tracing._tracer)
    monkeypatch.setattr(tracing, "_exporting", False)
    monkeypatch.setattr(trace, "set_tracer_provider", lambda provider: None)

    tracing.configure(Settings(data_dir=tmp_path, otel_exporter=exporter), service_name="jusou-test")  # type: ignore[arg-type]

    provider = tracing.provider()
    assert provider is not None and tracing._exporting
    processors = provider._active_span_processor._span_processors
    assert [type(p.span_exporter).__name__ for p in processors] == [expected]  # type: ignore[attr-defined]
    provider.shutdown()


def test_with_tracing_off_nothing_is_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tracing, "_provider", None)

    tracing.configure(Settings(data_dir=tmp_path, tracing_enabled=False), service_name="jusou-test")

    assert tracing.provider() is None
