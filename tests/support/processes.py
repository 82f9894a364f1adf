"""Services as real OS processes (uvicorn), each on its own loopback port, for the suites that kill
and restart them: what `make run-distributed` starts, with the settings of a test."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import httpx

from shared.settings import Settings
from tests.support.brokers import free_port

ROOT = Path(__file__).resolve().parents[2]


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The process environment for `settings` (distributed mode), with the production producer."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KAFKA_", "DATABASE_", "RUN_MODE", "JWT_", "RATE_LIMIT_", "OUTBOX_"))
    }
    env.update(
        RUN_MODE="distributed",
        DATABASE_URL=str(settings.database_url),
        JWT_PUBLIC_KEY_FILE=str(settings.jwt_public_key_file),
        RATE_LIMIT_PER_MINUTE=str(settings.rate_limit_per_minute),
        KAFKA_BOOTSTRAP_SERVERS=str(settings.kafka_bootstrap_servers),
        KAFKA_ENABLE_IDEMPOTENCE=str(settings.kafka_enable_idempotence).lower(),
        KAFKA_NAMESPACE=settings.kafka_namespace,
        KAFKA_TOPIC_PARTITIONS=str(settings.kafka_topic_partitions),
        KAFKA_SESSION_TIMEOUT_MS=str(settings.kafka_session_timeout_ms),
        KAFKA_HEARTBEAT_INTERVAL_MS=str(settings.kafka_heartbeat_interval_ms),
        KAFKA_REBALANCE_TIMEOUT_MS=str(settings.kafka_rebalance_timeout_ms),
        KAFKA_FETCH_MAX_WAIT_MS=str(settings.kafka_fetch_max_wait_ms),
        OUTBOX_POLL_SECONDS=str(settings.outbox_poll_seconds),
        OUTBOX_PUBLISH_TIMEOUT_SECONDS=str(settings.outbox_publish_timeout_seconds),
        LOG_LEVEL="WARNING",
        # The directory loads the plans' entries; its events give intake its windows over Kafka.
        LOAD_DEMO_DATA="true",
    )
    env.update(extra)
    return env


class ServiceProcesses:
    """One uvicorn process per service. A service keeps its port across kill/start, as a restarted
    server behind a fixed address would."""

    def __init__(self, names: Iterable[str], env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.ports = {name: free_port() for name in names}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str, *, app: str | None = None) -> None:
        """Start `services.<name>.app:app`, or another ASGI `app` under that name."""
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        self.processes[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app or f"services.{name}.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports[name]),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def start_all(self) -> None:
        for name in self.ports:
            self.start(name)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, no flush; what a crash or an OOM kill does."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def wait_until(self, path: str, names: Iterable[str] | None = None, *, within: float = 90.0) -> float:
        """Block until each service answers 200 on `path` (`/healthz`, `/readyz`); returns seconds."""
        started = time.monotonic()
        pending = set(names or self.ports)
        while pending:
            for name in list(pending):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{self.url(name)}{path}", timeout=1).status_code == 200:
                        pending.discard(name)
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log_tail(name)}")
            if time.monotonic() - started > within:
                tails = "\n".join(f"--- {n}\n{self.log_tail(n)}" for n in sorted(pending))
                raise RuntimeError(f"not answering {path} within {within} s: {sorted(pending)}\n{tails}")
            time.sleep(0.05)
        return time.monotonic() - started

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
