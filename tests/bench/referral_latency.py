"""Referral latency: how long from "refer this consultation" until coordination shows the case.

What is measured, per run mode, over real HTTP on loopback:

* **referral → case visible**: the clock starts just before `POST
  /intake/v1/consultations/{id}/referrals` is sent and stops when `GET
  /coordination/v1/cases?referral_id=…` first lists the case (polled every 2 ms). In between: the
  intake transaction writes the referral and its `CaseReferred` outbox row, the relay publishes it
  (in-process bus or Kafka), coordination's consumer opens the case, and the poll sees it. A
  referral whose case is not visible within 10 s counts as a timeout and makes the script fail.
* **floor**: `GET /healthz` against the same server(s) in the same run, N times. It is the cost of
  one HTTP round trip through this client, uvicorn and the app's middleware, with no database and
  no messaging. The referral figure always contains at least two such round trips (the POST and
  the successful GET), so the floor says how much of it is plumbing rather than the event flow.

The modes:

* **embedded**: all five services in one app (SQLite files in a temp dir, in-process bus).
* **distributed**: intake and coordination as two separate uvicorn servers, each with its own
  Kafka client, on a fresh PostgreSQL database and an Apache Kafka broker (tests/support/brokers.py).

Every request carries a bearer token, as in production: all-round staff of らんらん's operator
(tests/support/tokens.py), signed with the embedded system's local key, or in distributed mode with
a throwaway identity provider's key whose public half the servers get as JWT_PUBLIC_KEY_FILE. So
each request pays for a signature check. The rate limiter stays in the path with a limit no single
client reaches (the polling alone would exceed the default 600 a minute).

Everything (client, servers, relays, consumers) runs on one asyncio loop in one process, so the
numbers are relative, not capacity figures. Referrals are sent one at a time (latency, not
throughput); before each, an untimed consultation and consent are created, and after each the
script waits (untimed) for intake to see the referral accepted, so no background work from one
referral overlaps the next. Ten warm-up referrals per mode are not counted.

Run: `python -m tests.bench.referral_latency [--count 300] [--modes embedded,distributed]`
(`make bench`). Results also go to `bench-results/referral_latency.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import platform
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from services.coordination.app import definition as coordination_definition
from services.embedded import create_app
from services.intake.app import definition as intake_definition
from shared.runtime import build_app, runtimes_of
from shared.settings import Settings
from tests.support.brokers import apache_kafka, free_port, postgres_database
from tests.support.builders import consent_body, consultation_body
from tests.support.directory_events import deliver_reference_windows
from tests.support.directory_events import settled as outboxes_relayed
from tests.support.tokens import identity_provider_key, token

log = logging.getLogger("bench.referral_latency")

MODES = ("embedded", "distributed")
WARMUP = 10
POLL_SECONDS = 0.002
TIMEOUT_SECONDS = 10.0
# The first distributed referrals may wait for the Kafka consumer group to be assigned.
WARMUP_TIMEOUT_SECONDS = 60.0
SETTLE_POLL_SECONDS = 0.005
STARTUP_TIMEOUT_SECONDS = 120.0
OUTBOX_POLL_SECONDS = 0.5
# Bearer tokens must outlive the longest run: an expired one would fail the run half-way.
TOKEN_LIFETIME_SECONDS = 24 * 3600
# High enough never to refuse the bench's one client, so the limiter is measured but never bites.
RATE_LIMIT = {"rate_limit_per_minute": 1_000_000, "rate_limit_burst": 1_000_000}
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "bench-results" / "referral_latency.json"


# --- servers ------------------------------------------------------------------------------------


class StartupFailed(RuntimeError):
    """The app's lifespan failed to start (uvicorn has logged why)."""


class _Server(uvicorn.Server):
    """A uvicorn server fit to share a process: it leaves signals to the script (which owns Ctrl-C)
    and reports a failed startup as an exception rather than `sys.exit`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        except SystemExit as exc:
            raise StartupFailed(f"startup failed (uvicorn exit code {exc.code}); see the log above") from None


@contextlib.asynccontextmanager
async def serving(app: FastAPI, name: str) -> AsyncIterator[str]:
    """Serve `app` on a free loopback port as a task of this loop; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name=f"uvicorn-{name}")
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if task.done():
                task.result()  # re-raises StartupFailed, or whatever else stopped serve()
                raise StartupFailed(f"{name}: uvicorn stopped before it started")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: not started within {STARTUP_TIMEOUT_SECONDS:.0f}s")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(StartupFailed):  # already raised above
            await task


@dataclass(frozen=True)
class System:
    """Where the two services of the flow answer (the same URL when one app hosts both)."""

    intake: str
    coordination: str
    settings: Settings

    def floor_targets(self) -> dict[str, str]:
        if self.intake == self.coordination:
            return {"GET /healthz": self.intake}
        return {
            "GET /healthz (intake)": self.intake,
            "GET /healthz (coordination)": self.coordination,
        }


@contextlib.asynccontextmanager
async def embedded_system(work_dir: Path) -> AsyncIterator[System]:
    settings = Settings(
        run_mode="embedded",
        data_dir=work_dir / "data",
        services=[],
        outbox_poll_seconds=OUTBOX_POLL_SECONDS,
        **RATE_LIMIT,
    )
    app = create_app(settings)
    async with serving(app, "embedded") as url:
        await outboxes_relayed(app)  # intake has the windows of the directory's start-up events
        yield System(intake=url, coordination=url, settings=settings)


@contextlib.asynccontextmanager
async def distributed_system(
    database_url: str, bootstrap_servers: str, work_dir: Path
) -> AsyncIterator[System]:
    settings = Settings(
        run_mode="distributed",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap_servers,
        # The servers verify tokens with an identity provider's public key; the bench signs them.
        jwt_public_key_file=identity_provider_key(work_dir / "idp"),
        **RATE_LIMIT,
        # The producer as deployed (idempotent, acks=all); fetches wait the default 500 ms at most,
        # and Apache Kafka answers as soon as data arrives.
        kafka_namespace=f"bench{uuid.uuid4().hex[:8]}.",
        kafka_session_timeout_ms=1000,
        kafka_heartbeat_interval_ms=300,
        kafka_rebalance_timeout_ms=1000,
        outbox_poll_seconds=OUTBOX_POLL_SECONDS,
    )
    settings.require_distributed()
    intake_app = build_app([intake_definition], settings, title=intake_definition.title)
    coordination_app = build_app([coordination_definition], settings, title=coordination_definition.title)
    async with (
        serving(intake_app, "intake") as intake_url,
        serving(coordination_app, "coordination") as coordination_url,
    ):
        # No directory here: intake gets its windows from the directory's reference events.
        await deliver_reference_windows(runtimes_of(intake_app)["intake"])
        yield System(intake=intake_url, coordination=coordination_url, settings=settings)


# --- one referral -------------------------------------------------------------------------------


def _expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} → {response.status_code}: {response.text}"
        )
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class Clients:
    intake: httpx.AsyncClient
    coordination: httpx.AsyncClient


@dataclass(frozen=True)
class Outcome:
    referral_id: str
    latency_ms: float | None  # None: the case was not visible in time
    polls: int


async def consented_consultation(clients: Clients) -> str:
    """Untimed setup: a consultation with a consent that allows a referral."""
    created = _expect(await clients.intake.post("/intake/v1/consultations", json=consultation_body()), 201)
    consultation_id = str(created["id"])
    _expect(
        await clients.intake.post(
            f"/intake/v1/consultations/{consultation_id}/consents", json=consent_body()
        ),
        201,
    )
    return consultation_id


async def timed_referral(clients: Clients, consultation_id: str, *, within: float) -> Outcome:
    """From sending the referral until coordination lists its case (or `within` seconds pass)."""
    started = time.perf_counter()
    deadline = started + within
    referral = _expect(
        await clients.intake.post(
            f"/intake/v1/consultations/{consultation_id}/referrals",
            json={"reason": "8050: 母の介護と長男のひきこもり"},
        ),
        201,
    )
    referral_id = str(referral["id"])
    polls = 0
    while True:
        polls += 1
        page = _expect(
            await clients.coordination.get("/coordination/v1/cases", params={"referral_id": referral_id}),
            200,
        )
        if page["items"]:
            return Outcome(referral_id, (time.perf_counter() - started) * 1000, polls)
        if time.perf_counter() >= deadline:
            return Outcome(referral_id, None, polls)
        await asyncio.sleep(POLL_SECONDS)


async def settled(clients: Clients, referral_id: str, *, within: float) -> bool:
    """Untimed: wait until intake has heard the case was opened, so the next referral starts quiet."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        seen = _expect(await clients.intake.get(f"/intake/v1/referrals/{referral_id}"), 200)
        if seen["status"] == "accepted":
            return True
        await asyncio.sleep(SETTLE_POLL_SECONDS)
    return False


async def timed_get(client: httpx.AsyncClient, path: str) -> float:
    started = time.perf_counter()
    _expect(await client.get(path), 200)
    return (time.perf_counter() - started) * 1000


# --- statistics and results ---------------------------------------------------------------------


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Series:
    label: str
    samples_ms: list[float] = field(default_factory=list)
    timeouts: int = 0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.samples_ms)
        stats: dict[str, float | None] = {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
        if ordered:
            stats = {
                "p50": percentile(ordered, 50),
                "p95": percentile(ordered, 95),
                "p99": percentile(ordered, 99),
                "max": ordered[-1],
                "mean": sum(ordered) / len(ordered),
            }
        return {
            "label": self.label,
            "n": len(ordered) + self.timeouts,
            "timeouts": self.timeouts,
            **{f"{k}_ms": None if v is None else round(v, 3) for k, v in stats.items()},
            "samples_ms": [round(s, 3) for s in self.samples_ms],
        }


@dataclass
class ModeResult:
    mode: str
    referral: Series
    floors: list[Series]
    unsettled: int = 0
    polls: list[int] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def failed(cls, mode: str, error: str) -> ModeResult:
        return cls(mode=mode, referral=Series("referral → case visible"), floors=[], error=error)

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error}
        return {
            "settings": self.settings,
            "referral_to_case_visible": self.referral.summary(),
            "floor": [floor.summary() for floor in self.floors],
            "mean_polls_per_referral": round(sum(self.polls) / len(self.polls), 2) if self.polls else None,
            "unsettled_referrals": self.unsettled,
        }


# --- one mode -----------------------------------------------------------------------------------


async def measure(system: System, mode: str, count: int) -> ModeResult:
    limits = httpx.Limits(max_keepalive_connections=4)
    timeout = httpx.Timeout(30.0)
    signed_in = {"Authorization": f"Bearer {token(system.settings, lifetime=TOKEN_LIFETIME_SECONDS)}"}
    async with contextlib.AsyncExitStack() as stack:

        async def client(url: str) -> httpx.AsyncClient:
            return await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=url, limits=limits, timeout=timeout, trust_env=False, headers=signed_in
                )
            )

        intake = await client(system.intake)
        coordination = intake if system.coordination == system.intake else await client(system.coordination)
        clients = Clients(intake=intake, coordination=coordination)
        floor_clients = {
            label: intake if url == system.intake else coordination
            for label, url in system.floor_targets().items()
        }

        for _ in range(WARMUP):
            outcome = await timed_referral(
                clients, await consented_consultation(clients), within=WARMUP_TIMEOUT_SECONDS
            )
            if outcome.latency_ms is None:
                raise RuntimeError(f"{mode}: a warm-up referral did not open a case within 60s")
            await settled(clients, outcome.referral_id, within=TIMEOUT_SECONDS)
            for floor_client in floor_clients.values():
                await timed_get(floor_client, "/healthz")

        result = ModeResult(
            mode=mode,
            referral=Series("referral → case visible"),
            floors=[Series(f"floor: {label}") for label in floor_clients],
            settings=system.settings.model_dump(
                mode="json",
                include={
                    "run_mode",
                    "outbox_poll_seconds",
                    "kafka_topic_partitions",
                    "kafka_fetch_max_wait_ms",
                },
            ),
        )
        for series, floor_client in zip(result.floors, floor_clients.values(), strict=True):
            for _ in range(count):
                series.samples_ms.append(await timed_get(floor_client, "/healthz"))

        await run_referrals(clients, result, count)
        return result


async def run_referrals(clients: Clients, result: ModeResult, count: int) -> None:
    for done in range(1, count + 1):
        consultation_id = await consented_consultation(clients)
        outcome = await timed_referral(clients, consultation_id, within=TIMEOUT_SECONDS)
        result.polls.append(outcome.polls)
        if outcome.latency_ms is None:
            result.referral.timeouts += 1
            log.error("%s: referral %s: no case in time", result.mode, outcome.referral_id)
        else:
            result.referral.samples_ms.append(outcome.latency_ms)
        if not await settled(clients, outcome.referral_id, within=TIMEOUT_SECONDS):
            result.unsettled += 1
            log.error("%s: referral %s: intake never saw it accepted", result.mode, outcome.referral_id)
        if done % 50 == 0 or done == count:
            print(f"  {result.mode}: {done}/{count} referrals", file=sys.stderr, flush=True)


def run_mode(mode: str, count: int) -> ModeResult:
    """Each mode gets its own temp dir, servers and event loop; the brokers outlive the loop."""
    print(f"{mode}: starting", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix=f"bench-{mode}-") as tmp:
        work_dir = Path(tmp)
        if mode == "embedded":
            return asyncio.run(_measured(embedded_system(work_dir), mode, count))
        # postgres_database() runs its own event loop, so it must be entered outside ours.
        with postgres_database() as database_url, apache_kafka(work_dir / "kafka") as broker:
            return asyncio.run(
                _measured(distributed_system(database_url, broker.bootstrap, work_dir), mode, count)
            )


async def _measured(
    system: contextlib.AbstractAsyncContextManager[System], mode: str, count: int
) -> ModeResult:
    async with system as running:
        return await measure(running, mode, count)


# --- report -------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def table(results: Sequence[ModeResult]) -> str:
    columns = f"{'n':>5} {'t/o':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}"
    header = f"{'mode':<12} {'measurement':<36} {columns}"
    lines = [header + "   (ms)", "-" * len(header)]
    for result in results:
        if result.error is not None:
            lines.append(f"{result.mode:<12} ERROR: {result.error}")
            continue
        for series in (result.referral, *result.floors):
            s = series.summary()
            lines.append(
                f"{result.mode:<12} {series.label:<36} {s['n']:>5} {s['timeouts']:>4} "
                f"{_ms(s['p50_ms']):>8} {_ms(s['p95_ms']):>8} {_ms(s['p99_ms']):>8} {_ms(s['max_ms']):>8}"
            )
    return "\n".join(lines)


def write_json(path: Path, results: Sequence[ModeResult], args: argparse.Namespace, argv: list[str]) -> None:
    document = {
        "benchmark": "referral_latency",
        "generated_at": datetime.now(UTC).isoformat(),
        "command": " ".join(["python", "-m", "tests.bench.referral_latency", *argv]),
        "count": args.count,
        "warmup": WARMUP,
        "poll_interval_ms": POLL_SECONDS * 1000,
        "timeout_s": TIMEOUT_SECONDS,
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "machine": platform.machine(),
        },
        "modes": {result.mode: result.to_json() for result in results},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _modes(value: str) -> list[str]:
    modes = [part.strip() for part in value.split(",") if part.strip()]
    unknown = sorted(set(modes) - set(MODES))
    if unknown or not modes:
        raise argparse.ArgumentTypeError(f"modes are a comma-separated subset of {', '.join(MODES)}")
    return modes


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.referral_latency",
        description="Latency from a referral at intake until coordination shows the case.",
    )
    parser.add_argument("--count", type=_positive, default=300, help="timed referrals per mode (300)")
    parser.add_argument("--modes", type=_modes, default=list(MODES), help="embedded,distributed (both)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the JSON results go")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    results: list[ModeResult] = []
    for mode in args.modes:
        try:
            results.append(run_mode(mode, args.count))
        except Exception as exc:
            log.exception("%s: the run failed", mode)
            results.append(ModeResult.failed(mode, f"{type(exc).__name__}: {exc}"))
    print()
    print(table(results))
    write_json(args.output, results, args, argv)
    print(f"\nresults: {args.output}")
    timeouts = sum(result.referral.timeouts for result in results)
    unsettled = sum(result.unsettled for result in results)
    failed = [result.mode for result in results if result.error is not None]
    if timeouts or unsettled or failed:
        print(
            f"FAILED: {timeouts} referral(s) timed out, {unsettled} never settled, "
            f"modes that did not run: {', '.join(failed) or 'none'}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
