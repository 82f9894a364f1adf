"""`python -m tests.bench.load`: see the package's docstring (tests/bench/load/__init__.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx

from shared.figures import JST
from tests.bench.load import report, targets
from tests.bench.load.report import Row, TargetResult
from tests.bench.load.runner import Driver, Measurement
from tests.bench.load.workload import (
    CLASSES,
    COORDINATOR_WEIGHTS,
    FLOORS,
    MIXED_WEIGHTS,
    Scale,
    Seeder,
    Workload,
    contexts,
    desks,
)

log = logging.getLogger("bench.load")
RSS_SAMPLE_EVERY = 10_000  # requests of the soak between two readings of the RSS
TARGETS = ("embedded", "distributed")
COLD_START_SAMPLES = 5
REPO_ROOT = Path(__file__).resolve().parents[3]


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _keep(result: TargetResult, measurement: Measurement, *, overall: bool = False) -> None:
    summaries = measurement.summaries()
    for endpoint, summary in summaries.items():
        result.rows.append(Row(result.name, measurement.workload, endpoint, measurement.concurrency, summary))
        tally = measurement.tallies[endpoint]
        if tally.examples:
            key = f"{measurement.workload}@{measurement.concurrency} {endpoint}"
            result.error_examples[key] = tally.examples
    if overall:
        all_ = measurement.overall()
        result.rows.append(Row(result.name, measurement.workload, "all", measurement.concurrency, all_))
    total = measurement.overall()
    errors = f", {total.errors} ERRORS" if total.errors else ""
    _progress(
        f"  {result.name} {measurement.workload}@{measurement.concurrency} "
        f"{'+'.join(summaries) if len(summaries) < 3 else 'mix'}: {total.rate:.0f} req/s, "
        f"p50 {total.p50_ms or 0:.1f} ms{errors}"
    )


async def measure(target: targets.Target, args: argparse.Namespace) -> TargetResult:
    result = TargetResult(target.name, cold_start_s=target.cold_start_s)
    today = datetime.now(JST).date()
    scale = Scale(coordinators=args.coordinators, cases_per_coordinator=args.cases_per_coordinator)
    _progress(f"{target.name}: seeding {scale.cases} cases through the API")
    started = time.monotonic()
    seeding_requests = 0

    async def counted(request: httpx.Request) -> None:
        nonlocal seeding_requests
        seeding_requests += 1

    hooks = {"request": [counted]}
    async with (
        httpx.AsyncClient(
            base_url=target.url("intake"), timeout=60, event_hooks=hooks, trust_env=False
        ) as intake,
        httpx.AsyncClient(
            base_url=target.url("coordination"), timeout=60, event_hooks=hooks, trust_env=False
        ) as coordination,
    ):
        seeded = await Seeder(intake, coordination, target.settings, scale, today).run()
    result.seeded = {
        **seeded.summary(),
        "requests": seeding_requests,
        "seconds": round(time.monotonic() - started, 1),
    }
    _progress(f"{target.name}: seeded {result.seeded}")

    connections = max([*args.levels, args.class_connections, args.coordinators])
    driver = Driver(
        target.route(), contexts(seeded, desks(target.settings, connections, scale.coordinators), today)
    )

    def sample_rss() -> None:
        if target.name == "embedded":
            sent = seeding_requests + driver.sent_to(target.system_ports())
            result.rss_along.append((sent, sum(target.rss_kb().values())))

    sample_rss()
    if not args.rss_only:
        await _phases(result, driver, args)
        sample_rss()

    if target.name == "embedded":
        more = args.requests_for_rss - seeding_requests - driver.sent_to(target.system_ports())
        if more > 0:
            _progress(f"{target.name}: {more:,} more requests of the mix before reading the RSS")
            soak = Workload.of("soak", MIXED_WEIGHTS)
            _keep(
                result,
                await driver.run(
                    soak,
                    args.class_connections,
                    duration=0,
                    max_requests=more,
                    every=RSS_SAMPLE_EVERY,
                    on_every=sample_rss,
                ),
                overall=True,
            )
            sample_rss()
        result.rss_kb = target.rss_kb()
    # What the system's server(s) answered: the seeding and the load, not the floor's.
    result.requests_served = seeding_requests + driver.sent_to(target.system_ports())
    return result


async def _phases(result: TargetResult, driver: Driver, args: argparse.Namespace) -> None:
    """The measured phases: the floors, the mix per level, each class alone, the coordinators."""
    warmup = args.warmup

    for floor in FLOORS:
        for level in sorted({*args.levels, args.class_connections, args.coordinators}):
            workload = Workload.alone(floor, name="floor")
            _keep(result, await driver.run(workload, level, duration=args.floor_duration, warmup=warmup))
    mixed = Workload.of("mixed", MIXED_WEIGHTS)
    for level in args.levels:
        _keep(result, await driver.run(mixed, level, duration=args.duration, warmup=warmup), overall=True)
    for endpoint in CLASSES:
        workload = Workload.alone(endpoint)
        _keep(
            result,
            await driver.run(workload, args.class_connections, duration=args.class_duration, warmup=warmup),
        )
    screens = Workload.of("coordinators", COORDINATOR_WEIGHTS)
    _keep(
        result,
        await driver.run(screens, args.coordinators, duration=args.duration, warmup=warmup),
        overall=True,
    )


@contextlib.contextmanager
def _system(name: str, work_dir: Path) -> Iterator[targets.Target]:
    with targets.embedded(work_dir) if name == "embedded" else targets.distributed(work_dir) as target:
        yield target


def run_target(name: str, args: argparse.Namespace) -> TargetResult:
    """Each target its own temp dir, processes and event loop (the brokers are entered outside it)."""
    _progress(f"{name}: starting")
    with tempfile.TemporaryDirectory(prefix=f"load-{name}-") as tmp, _system(name, Path(tmp)) as target:
        _progress(f"{name}: ready in {target.cold_start_s:.2f} s")
        result = asyncio.run(measure(target, args))
        if name == "embedded":
            result.restart_s = targets.restart_time(target)
            # The goal is taken on the median of the run's first start and a few more.
            samples = [target.cold_start_s, *targets.cold_starts(Path(tmp), COLD_START_SAMPLES - 1)]
            result.cold_start_samples_s = samples
            result.cold_start_s = statistics.median(samples)
        return result


def _levels(value: str) -> list[int]:
    try:
        levels = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("levels are comma-separated numbers of connections") from None
    if not levels or levels[0] < 1:
        raise argparse.ArgumentTypeError("levels are comma-separated numbers of connections, each ≥ 1")
    return levels


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.load",
        description="A coordinator/window workload against both run modes, beside the floors.",
    )
    parser.add_argument("--levels", type=_levels, default=[1, 8, 32], help="connections of the mix (1,8,32)")
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per level of the mix (6)")
    parser.add_argument("--class-duration", type=float, default=3.0, help="seconds per class alone (3)")
    parser.add_argument("--floor-duration", type=float, default=2.0, help="seconds per floor level (2)")
    parser.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds before each (1)")
    parser.add_argument("--class-connections", type=int, default=8, help="connections per class alone (8)")
    parser.add_argument("--coordinators", type=int, default=20, help="coordinators at once, and seeded (20)")
    parser.add_argument("--cases-per-coordinator", type=int, default=10, help="seeded cases each (10)")
    parser.add_argument(
        "--requests-for-rss",
        type=int,
        default=0,
        help="embedded: send the mix until this many requests "
        "were sent before reading the RSS (the goal: 100000)",
    )
    parser.add_argument(
        "--rss-only",
        action="store_true",
        help="only seed, then send the mix until --requests-for-rss (no measured phases)",
    )
    parser.add_argument("--skip-distributed", action="store_true", help="no PostgreSQL/Java here")
    parser.add_argument("--output-dir", type=Path, default=REPO_ROOT / "bench-results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    began = datetime.now(UTC)
    results: list[TargetResult] = []
    for name in TARGETS:
        if name == "distributed" and args.skip_distributed:
            results.append(TargetResult(name, status="skipped", reason="--skip-distributed"))
            continue
        try:
            results.append(run_target(name, args))
        except Exception as exc:
            log.exception("%s: the run failed", name)
            reason = f"{type(exc).__name__}: {exc}"[:400]
            if name == "distributed":
                reason += " (no PostgreSQL, Java or Kafka jars here? --skip-distributed)"
            results.append(TargetResult(name, status="failed", reason=reason))
    goal_rows = report.goals(results, levels=args.levels, coordinators=args.coordinators)
    print()
    print(report.table(results))
    print()
    print(report.goals_table(goal_rows))
    for result in results:
        if result.rss_kb:
            print(
                f"\n{result.name}: RSS {sum(result.rss_kb.values()) / 1024:.0f} MB after "
                f"{result.requests_served:,} requests; cold start {result.cold_start_s:.2f} s, "
                f"restart {result.restart_s or 0:.2f} s"
            )
        if result.rss_along:
            along = ", ".join(f"{n:,}: {kb / 1024:.0f} MB" for n, kb in result.rss_along)
            print(f"{result.name}: RSS along the run (requests sent: RSS): {along}")
    meta = {
        "generated_at": began.isoformat(),
        "command": " ".join(["python", "-m", "tests.bench.load", *argv]),
        "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    stamp = began.strftime("%Y%m%dT%H%M%SZ")
    out = args.output_dir
    report.write_json(
        report.document(results, goal_rows, meta), out / f"load-{stamp}.json", out / "load-latest.json"
    )
    report.plot(results, out / "load-latest.png")
    print(f"\nresults: {out / f'load-{stamp}.json'} (and load-latest.json, load-latest.png)")
    return 1 if any(r.status == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
