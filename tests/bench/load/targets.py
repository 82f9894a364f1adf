"""The systems under load, each as real uvicorn processes on loopback with its floor beside it.

* embedded: `uvicorn services.embedded:app` (one worker) on a fresh DATA_DIR; the floor app on a
  SQLite file in the same DATA_DIR through aiosqlite.
* distributed: the five services, one uvicorn process each (what `make run-distributed` starts), on a
  fresh PostgreSQL database and an Apache Kafka broker (tests/support/brokers.py); the floor app on the
  same database through asyncpg.

The rate limit stays in the path, raised (RATE_LIMIT_PER_MINUTE / RATE_LIMIT_BURST) so that it never
refuses the bench. Processes run as `make run` runs them: uvicorn's defaults, access log included.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.settings import SERVICE_NAMES, Settings
from tests.bench.load.runner import Route
from tests.support.brokers import apache_kafka, postgres_database
from tests.support.processes import ServiceProcesses, environment
from tests.support.tokens import identity_provider_key

RATE_LIMIT = 100_000_000
FLOOR_APP = "tests.bench.load.floor_app:app"
READY_WITHIN = 120.0


@dataclass
class Target:
    name: str
    settings: Settings  # what the services verify tokens with (tests/support/tokens.py signs with it)
    processes: ServiceProcesses
    services: tuple[str, ...]  # process names of the system (the floor is "floor")
    cold_start_s: float
    info: dict[str, object] = field(default_factory=dict)

    def url(self, service: str) -> str:
        """The base URL answering `/<service>/…`."""
        return self.processes.url(self.services[0] if len(self.services) == 1 else service)

    def route(self) -> Route:
        ports = {name: self.processes.ports[self.services[0]] for name in SERVICE_NAMES}
        if len(self.services) > 1:
            ports = {name: self.processes.ports[name] for name in self.services}
        floor = self.processes.ports["floor"]
        return Route({**ports, "trivial": floor, "one-query": floor})

    def system_ports(self) -> set[int]:
        """The ports of the system's own processes (not the floor's)."""
        return {self.processes.ports[name] for name in self.services}

    def rss_kb(self) -> dict[str, int]:
        """VmRSS of each of the system's processes now, from /proc."""
        return {name: vm_rss_kb(self.processes.processes[name].pid) for name in self.services}


def vm_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def until_ready(processes: ServiceProcesses, names: tuple[str, ...], *, started: float) -> float:
    """Seconds from `started` (just before the processes were launched) until every one of `names`
    answers 200 on /readyz; polled every 10 ms."""
    pending = set(names)
    with httpx.Client(timeout=1.0, trust_env=False) as http:
        while pending:
            for name in list(pending):
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{processes.url(name)}/readyz").status_code == 200:
                        pending.discard(name)
            for name, process in processes.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{processes.log_tail(name)}")
            if pending and time.monotonic() - started > READY_WITHIN:
                raise RuntimeError(f"not ready within {READY_WITHIN:.0f} s: {sorted(pending)}")
            if pending:
                time.sleep(0.01)
    return time.monotonic() - started


def _embedded_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("RUN_MODE", "DATABASE_", "KAFKA_", "JWT_", "RATE_LIMIT_", "SERVICES", "DATA_DIR")
        )
    }
    env.update(
        RUN_MODE="embedded",
        DATA_DIR=str(data_dir),
        RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT),
        RATE_LIMIT_BURST=str(RATE_LIMIT),
        LOG_LEVEL="WARNING",
        FLOOR_DATABASE=f"sqlite:///{data_dir / 'floor.db'}",
    )
    return env


@contextlib.contextmanager
def embedded(work_dir: Path) -> Iterator[Target]:
    """The embedded server on a fresh DATA_DIR; cold start is timed from launch to /readyz."""
    data_dir = work_dir / "data"
    data_dir.mkdir(parents=True)
    processes = ServiceProcesses(["embedded", "floor"], _embedded_env(data_dir), work_dir)
    try:
        started = time.monotonic()
        processes.start("embedded", app="services.embedded:app")
        cold = until_ready(processes, ("embedded",), started=started)
        processes.start("floor", app=FLOOR_APP)
        until_ready(processes, ("floor",), started=time.monotonic())
        settings = Settings(run_mode="embedded", data_dir=data_dir)
        yield Target("embedded", settings, processes, ("embedded",), cold, {"data_dir": str(data_dir)})
    finally:
        processes.stop_all()


def cold_starts(work_dir: Path, count: int) -> list[float]:
    """`count` more cold starts of the embedded server, each on a fresh DATA_DIR, one at a time,
    launch to /readyz: one start alone is too noisy a sample on a shared machine."""
    seconds = []
    for n in range(count):
        data_dir = work_dir / f"cold-{n}"
        data_dir.mkdir(parents=True)
        processes = ServiceProcesses(["embedded"], _embedded_env(data_dir), data_dir)
        try:
            started = time.monotonic()
            processes.start("embedded", app="services.embedded:app")
            seconds.append(until_ready(processes, ("embedded",), started=started))
        finally:
            processes.stop_all()
    return seconds


def restart_time(target: Target) -> float:
    """Stop the embedded server and start it again on the same DATA_DIR: start to /readyz."""
    name = target.services[0]
    process = target.processes.processes.pop(name)
    process.terminate()
    process.wait(timeout=30)
    started = time.monotonic()
    target.processes.start(name, app="services.embedded:app")
    return until_ready(target.processes, (name,), started=started)


@contextlib.contextmanager
def distributed(work_dir: Path) -> Iterator[Target]:
    """Five service processes, a fresh PostgreSQL database and a Kafka broker, as the integration
    tests start them (tests/support/processes.py, tests/support/brokers.py)."""
    with postgres_database() as database_url, apache_kafka(work_dir / "kafka") as broker:
        settings = Settings(
            run_mode="distributed",
            database_url=database_url,
            kafka_bootstrap_servers=broker.bootstrap,
            jwt_public_key_file=identity_provider_key(work_dir / "idp"),
            rate_limit_per_minute=RATE_LIMIT,
            kafka_namespace=f"load{uuid.uuid4().hex[:8]}.",
            kafka_session_timeout_ms=1000,
            kafka_heartbeat_interval_ms=300,
            kafka_rebalance_timeout_ms=1000,
        )
        floor_dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        env = environment(settings, RATE_LIMIT_BURST=str(RATE_LIMIT), FLOOR_DATABASE=floor_dsn)
        processes = ServiceProcesses([*SERVICE_NAMES, "floor"], env, work_dir)
        try:
            started = time.monotonic()
            for name in SERVICE_NAMES:
                processes.start(name)
            cold = until_ready(processes, SERVICE_NAMES, started=started)
            processes.start("floor", app=FLOOR_APP)
            until_ready(processes, ("floor",), started=time.monotonic())
            yield Target("distributed", settings, processes, SERVICE_NAMES, cold, {"kafka": broker.bootstrap})
        finally:
            processes.stop_all()
