"""One referral is one trace across processes: the window's request to intake, the broker, and
coordination's handling, with the console exporter on (`OTEL_EXPORTER=console`) and JSON logs
(distributed mode's default), read back from the processes' output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.settings import Settings
from tests.support import metrics
from tests.support.builders import RANRAN, consent_body, consultation_body
from tests.support.processes import ServiceProcesses, environment
from tests.support.tokens import bearer
from tests.support.waiting import eventually

SERVICES = ("directory", "intake", "coordination")
FRONT_END_TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{FRONT_END_TRACE}-b7ad6b7169203331-01"


@pytest.fixture
def processes(settings: Settings, tmp_path: Path) -> Iterator[ServiceProcesses]:
    running = ServiceProcesses(SERVICES, environment(settings, OTEL_EXPORTER="console"), tmp_path)
    try:
        running.start_all()
        running.wait_until("/readyz")
        yield running
    finally:
        running.stop_all()


def documents(output: Path) -> list[dict[str, Any]]:
    """The JSON documents a process wrote: its log lines (one a line) and its spans (indented)."""
    text = output.read_text(errors="replace")
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    at = 0
    while (start := text.find("{", at)) != -1:
        try:
            document, at = decoder.raw_decode(text, start)
        except ValueError:
            at = text.find("\n", start) + 1 or len(text)
            continue
        if isinstance(document, dict):
            found.append(document)
    return found


def spans_of(output: Path) -> list[dict[str, Any]]:
    return [d for d in documents(output) if "context" in d and "kind" in d]


async def test_a_referral_is_one_trace_from_the_windows_request_through_kafka_to_coordination(
    processes: ServiceProcesses, settings: Settings, tmp_path: Path
) -> None:
    async with (
        httpx.AsyncClient(base_url=processes.url("intake"), timeout=10, headers=bearer(settings)) as intake,
        httpx.AsyncClient(
            base_url=processes.url("coordination"), timeout=10, headers=bearer(settings)
        ) as coord,
    ):

        async def window_known() -> bool:
            return RANRAN in [w["code"] for w in (await intake.get("/intake/v1/windows")).json()]

        await eventually(window_known, within=30)
        consultation = (await intake.post("/intake/v1/consultations", json=consultation_body())).json()
        consented = await intake.post(
            f"/intake/v1/consultations/{consultation['id']}/consents", json=consent_body()
        )
        assert consented.status_code == 201, consented.text
        referral = await intake.post(
            f"/intake/v1/consultations/{consultation['id']}/referrals",
            json={"reason": "8050"},
            headers={"traceparent": TRACEPARENT, "x-request-id": "req-trace-distributed"},
        )
        assert referral.status_code == 201, referral.text

        async def case_visible() -> bool:
            page = (
                await coord.get("/coordination/v1/cases", params={"referral_id": referral.json()["id"]})
            ).json()
            return bool(page["items"])

        await eventually(case_visible, within=30)

        # Coordination's group has handled everything intake published (the lag Kafka reports).
        async def caught_up() -> str | None:
            text = (await coord.get("/metrics")).text
            lag = metrics.value(text, "jusou_consumer_lag", service="coordination", topic="intake.events.v1")
            return text if lag == 0 else None

        text = await eventually(caught_up, within=20)
        applied = metrics.value(
            text, "jusou_consumer_messages_total", service="coordination", outcome="applied"
        )
        assert (applied or 0) >= 2  # the consent and the referral, at least
        assert (metrics.value(text, "jusou_db_pool_size", service="coordination") or 0) >= 1

    trace_id = f"0x{FRONT_END_TRACE}"

    def handled() -> list[dict[str, Any]]:
        return [
            s
            for s in spans_of(tmp_path / "coordination.log")
            if s["name"] == "coordination handles CaseReferred" and s["context"]["trace_id"] == trace_id
        ]

    async def exported() -> list[dict[str, Any]] | None:
        return handled() or None

    consumer_spans = await eventually(exported, within=10)
    assert len(consumer_spans) == 1
    span = consumer_spans[0]
    assert span["kind"] == "SpanKind.CONSUMER"
    assert span["attributes"]["messaging.destination.name"] == "intake.events.v1"
    # Its parent is the window's request in intake's process.
    requests = [
        s
        for s in spans_of(tmp_path / "intake.log")
        if s["name"] == "referToCollaboration" and s["context"]["trace_id"] == trace_id
    ]
    assert len(requests) == 1
    assert span["parent_id"] == requests[0]["context"]["span_id"]
    assert requests[0]["parent_id"] == "0xb7ad6b7169203331"  # the front-end's span
    # Intake's access line for that request: JSON, naming the request and the trace.
    lines = [
        d
        for d in documents(tmp_path / "intake.log")
        if d.get("logger") == "uvicorn.access" and d.get("request_id") == "req-trace-distributed"
    ]
    assert len(lines) == 1
    assert lines[0]["trace_id"] == FRONT_END_TRACE
    assert lines[0]["http_status"] == 201
