"""Real servers for the distributed suite: a fresh PostgreSQL database and an Apache Kafka broker."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from tests.support.kafka import kafka_libs

ADMIN_DSN = os.environ.get("TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Quiet by default; the broker's own log goes to `kafka.log` in its folder.
_LOG4J2_YAML = """\
Configuration:
  status: warn
  Appenders:
    Console:
      name: STDOUT
      target: SYSTEM_OUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
"""


def _cluster_id() -> str:
    """A KRaft cluster id as `kafka-storage.sh random-uuid` makes one (16 bytes, URL-safe base64)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka's own rule: an id must not read as a command-line option
            return text


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class KafkaBroker:
    """One Apache Kafka node (broker and KRaft controller) on loopback, its data in `data_dir`.

    The constructor picks the ports and formats the storage; `start()` launches the JVM and returns
    once the broker answers the Kafka protocol. After `stop()` or `kill()`, `start()` brings it back
    on the same ports with the same data, as a restarted server would. The methods block; from an
    async test call them with `await asyncio.to_thread(broker.start)` so the event loop keeps running.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        properties: Mapping[str, str] | None = None,
        heap: str = "512m",
        start_timeout: float = 60.0,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.controller_port = free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.log_path = data_dir / "kafka.log"
        self.start_timeout = start_timeout
        self._heap = heap
        self._libs = kafka_libs()
        self._process: subprocess.Popen[bytes] | None = None
        data_dir.mkdir(parents=True, exist_ok=True)
        self._config = data_dir / "server.properties"
        self._config.write_text(
            "".join(f"{k}={v}\n" for k, v in {**self._properties(), **(properties or {})}.items())
        )
        (data_dir / "log4j2.yaml").write_text(_LOG4J2_YAML)
        self._format()

    def _properties(self) -> dict[str, str]:
        listener = f"127.0.0.1:{self.port}"
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://{listener},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{listener}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir / "data"),
            # One node: the internal topics cannot have more replicas than that (as in deploy/).
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            # As in deploy/: the services create their own topics.
            "auto.create.topics.enable": "false",
            # Test-only: a new consumer group is formed at once instead of after 3 s, and the tests may
            # use session timeouts under the broker's default 6 s floor (group.min.session.timeout.ms).
            "group.initial.rebalance.delay.ms": "0",
            "group.min.session.timeout.ms": "500",
            # Test-only: after a kill -9 the restarted controller waits out the dead process's broker
            # session before it lets the node in again (9 s by default); this shortens that wait.
            "broker.session.timeout.ms": "3000",
            "broker.heartbeat.interval.ms": "500",
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _java(self, main: str, *args: str, jvm: tuple[str, ...] = ()) -> list[str]:
        java_home = os.environ.get("JAVA_HOME")
        java = str(Path(java_home) / "bin" / "java") if java_home else "java"
        return [java, *jvm, "-cp", str(self._libs / "*"), main, *args]

    def _format(self) -> None:
        done = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                _cluster_id(),
                "--config",
                str(self._config),
                jvm=(f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.yaml'}",),
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{done.stdout.decode(errors='replace')}")

    def start(self) -> None:
        """Launch the broker and wait until it answers (`start_timeout`), else stop it and raise."""
        if self.running:
            return
        with open(self.log_path, "ab") as log:
            log.write(f"--- starting {time.strftime('%H:%M:%S')} ---\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                self._java(
                    "kafka.Kafka",
                    str(self._config),
                    jvm=(
                        f"-Xmx{self._heap}",
                        "-Djava.awt.headless=true",
                        f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.yaml'}",
                    ),
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            self._wait_until_answering()
        except BaseException:
            self.kill()
            raise

    def _wait_until_answering(self) -> None:
        # Its own thread and event loop, so start() works from sync fixtures and async tests alike.
        failure: list[BaseException] = []

        def probe() -> None:
            try:
                asyncio.run(self._answering())
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=probe, name=f"kafka-{self.port}-probe")
        thread.start()
        thread.join()
        if failure:
            raise failure[0]

    async def _answering(self) -> None:
        """Until a metadata request succeeds: an open port alone does not mean Kafka is up."""
        timeout = self.start_timeout
        deadline = time.monotonic() + timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"kafka exited with {self._process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"kafka did not answer on {self.bootstrap} within {timeout:.0f}s:\n{self.log_tail()}"
                )
            # Ask only once the port is open: aiokafka logs an error for every refused connection.
            if not _listening(self.port):
                await asyncio.sleep(0.1)
                continue
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2_000)
            try:
                await admin.start()
                await admin.list_topics()
                return
            except Exception:
                await asyncio.sleep(0.2)
            finally:
                with contextlib.suppress(Exception):
                    await admin.close()

    def log_tail(self, chars: int = 4_000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30.0) -> None:
        """A clean shutdown (SIGTERM); SIGKILL if it has not exited within `timeout`."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Crash it (SIGKILL): no clean shutdown, as when a machine's process is killed."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None


@contextlib.contextmanager
def apache_kafka(data_dir: Path, *, properties: Mapping[str, str] | None = None) -> Iterator[KafkaBroker]:
    """A started Apache Kafka broker with its data in `data_dir`; stopped afterwards."""
    broker = KafkaBroker(data_dir, properties=properties)
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new database (C.UTF-8, so Japanese text sorts and indexes sanely); dropped afterwards."""
    name = f"jusou_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(
        _admin(
            f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
            "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
    )
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
