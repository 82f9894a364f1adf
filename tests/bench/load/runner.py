"""Driving a workload: N connections, each sending its requests back to back for a while.

Each connection is one client with its own keep-alive connection per server, like `wrk -c N`.
Requests begun during the warm-up are sent but not counted; the measured window is `duration`
seconds after it. A request that fails (an error status, a timeout, a dropped connection) is
counted as an error and its latency is left out of the percentiles.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tests.bench.load.stats import Summary
from tests.bench.load.wire import Connection, ProtocolError, Request
from tests.bench.load.workload import Context, EndpointClass, Workload

ERROR_EXAMPLES = 3


@dataclass(frozen=True)
class Route:
    """Which port answers a path: by its first segment (`intake`, `coordination`, `trivial`, …)."""

    ports: Mapping[str, int]
    host: str = "127.0.0.1"

    def port_for(self, path: str) -> int:
        first = path.split("/", 2)[1].split("?", 1)[0]
        return self.ports[first]


@dataclass
class Tally:
    samples_ms: list[float] = field(default_factory=list)
    errors: int = 0
    examples: list[str] = field(default_factory=list)

    def failed(self, what: str) -> None:
        self.errors += 1
        if len(self.examples) < ERROR_EXAMPLES:
            self.examples.append(what[:300])


@dataclass
class Measurement:
    workload: str
    concurrency: int
    seconds: float
    tallies: dict[str, Tally]

    def summaries(self) -> dict[str, Summary]:
        return {
            name: Summary.of(t.samples_ms, errors=t.errors, seconds=self.seconds)
            for name, t in self.tallies.items()
        }

    def overall(self) -> Summary:
        samples = [s for t in self.tallies.values() for s in t.samples_ms]
        return Summary.of(samples, errors=sum(t.errors for t in self.tallies.values()), seconds=self.seconds)


class _Picker:
    """A weighted choice without the cost of random.choices per request."""

    def __init__(self, workload: Workload) -> None:
        self.classes = workload.classes
        self.cumulative = list(itertools.accumulate(w for _, w in workload.weights))

    def pick(self, rng: random.Random) -> EndpointClass:
        return self.classes[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass
class _Run:
    """One measurement in progress: its clock, its request budget and its tallies."""

    driver: Driver
    picker: _Picker
    tallies: dict[str, Tally]
    counting_from: float
    until: float
    budget: int | None
    every: int = 0
    on_every: Callable[[], None] | None = None
    begun: int = 0

    def _may_send(self, now: float) -> bool:
        if now >= self.until:
            return False
        if self.budget is not None:
            if self.budget <= 0:
                return False
            self.budget -= 1
        self.begun += 1
        if self.on_every is not None and self.begun % self.every == 0:
            self.on_every()
        return True

    async def client(self, n: int) -> None:
        rng = random.Random(self.driver.seed * 1000 + n)
        context = self.driver.contexts[n % len(self.driver.contexts)]
        connections: dict[int, Connection] = {}
        try:
            while self._may_send(begun := time.perf_counter()):
                endpoint = self.picker.pick(rng)
                request = endpoint.build(context, rng)
                port = self.driver.route.port_for(request.path)
                if port not in connections:
                    connections[port] = Connection(self.driver.route.host, port, self.driver.timeout)
                self.driver.sent[port] += 1
                await self._send(connections[port], request, self.tallies[endpoint.name], begun)
        finally:
            for connection in connections.values():
                await connection.close()

    async def _send(self, connection: Connection, request: Request, tally: Tally, begun: float) -> None:
        counted = begun >= self.counting_from
        try:
            response = await connection.send(request)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ProtocolError) as exc:
            if counted:
                tally.failed(f"{type(exc).__name__}: {exc}")
            return
        elapsed_ms = (time.perf_counter() - begun) * 1000
        if not counted:
            return
        if 200 <= response.status < 300:
            tally.samples_ms.append(elapsed_ms)
        else:
            tally.failed(f"{response.status} {request.method} {request.path}: {response.body[:200]!r}")


@dataclass
class Driver:
    """Sends workloads to one target and counts the requests it sends to each port (the RSS goal
    counts those the system's server answered, not the floor's)."""

    route: Route
    contexts: Sequence[Context]
    seed: int = 20261202
    timeout: float = 30.0
    sent: Counter[int] = field(default_factory=Counter)

    def sent_to(self, ports: Iterable[int]) -> int:
        return sum(self.sent[port] for port in ports)

    async def run(
        self,
        workload: Workload,
        concurrency: int,
        *,
        duration: float,
        warmup: float = 0.0,
        max_requests: int | None = None,
        every: int = 0,
        on_every: Callable[[], None] | None = None,
    ) -> Measurement:
        """`duration` seconds after `warmup`; or, with `max_requests`, until that many were sent.
        `on_every` is called as every `every`-th request of the run is about to be sent."""
        counting_from = time.perf_counter() + warmup
        run = _Run(
            driver=self,
            picker=_Picker(workload),
            tallies={c.name: Tally() for c in workload.classes},
            counting_from=counting_from,
            until=counting_from + duration if max_requests is None else float("inf"),
            budget=max_requests,
            every=every,
            on_every=on_every if every > 0 else None,
        )
        await asyncio.gather(*(run.client(n) for n in range(concurrency)))
        seconds = duration if max_requests is None else time.perf_counter() - counting_from
        return Measurement(workload.name, concurrency, seconds, run.tallies)
