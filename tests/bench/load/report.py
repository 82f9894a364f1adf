"""The load bench's results: the table, the issue's goals beside the numbers, the JSON and the plot.

Everything here but `write_json` and `plot` is pure, so the arithmetic is unit-tested
(tests/unit/test_load_bench_report.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.bench.load.stats import Summary, ratio

ONE_QUERY = "floor.one_query"
TRIVIAL = "floor.trivial"
AUDITED_READS = ("read.consultation", "read.case")
LISTS = ("list.consultations", "list.cases", "list.work", "list.monitoring_due")
COORDINATOR_SCREENS = ("figures", "list.work", "list.monitoring_due", "list.cases")
GOAL_CONNECTIONS = 8
RSS_GOAL_MB = 150
RSS_GOAL_REQUESTS = 100_000
COLD_START_GOAL_S = 2.0
SEARCH_P95_GOAL_MS = 20.0
COORDINATOR_P95_GOAL_MS = 200.0  # issue 11's goal for the FY figures, held for the lists too


@dataclass(frozen=True)
class Row:
    target: str
    workload: str  # floor · mixed · alone · coordinators · soak
    endpoint: str  # an endpoint class, or "all" (the whole mix)
    concurrency: int
    summary: Summary


@dataclass
class TargetResult:
    name: str
    status: str = "ran"  # ran · skipped · failed
    reason: str | None = None
    rows: list[Row] = field(default_factory=list)
    cold_start_s: float | None = None
    restart_s: float | None = None
    cold_start_samples_s: list[float] = field(default_factory=list)
    rss_kb: dict[str, int] = field(default_factory=dict)
    # (requests the system had been sent, its RSS in kB) along the run: does memory grow with them?
    rss_along: list[tuple[int, int]] = field(default_factory=list)
    requests_served: int = 0
    seeded: dict[str, float] = field(default_factory=dict)
    error_examples: dict[str, list[str]] = field(default_factory=dict)

    def find(self, workload: str, endpoint: str, concurrency: int) -> Summary | None:
        for row in self.rows:
            if (row.workload, row.endpoint, row.concurrency) == (workload, endpoint, concurrency):
                return row.summary
        return None

    def floor(self, concurrency: int) -> Summary | None:
        return self.find("floor", ONE_QUERY, concurrency)


# --- the table -----------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def floor_ratios(summary: Summary, floor: Summary | None) -> tuple[float | None, float | None]:
    """p50 and p99 as multiples of the floor's."""
    if floor is None:
        return None, None
    return ratio(summary.p50_ms, floor.p50_ms), ratio(summary.p99_ms, floor.p99_ms)


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"


HEADER = (
    f"{'target':<12} {'workload':<12} {'class':<20} {'conn':>4} {'n':>7} {'err':>5} {'req/s':>8} "
    f"{'p50':>7} {'p95':>7} {'p99':>7} {'p50/fl':>7} {'p99/fl':>7}"
)


def table(results: Sequence[TargetResult]) -> str:
    """One line per target × workload × class × connections; latencies in ms; p50/fl and p99/fl are
    the ratios to the one-query floor at the same number of connections in the same target."""
    lines = [HEADER, "-" * len(HEADER)]
    for result in results:
        if result.status != "ran":
            lines.append(f"{result.name:<12} {result.status.upper()}: {result.reason}")
            continue
        for row in result.rows:
            s = row.summary
            r50, r99 = floor_ratios(s, result.floor(row.concurrency))
            lines.append(
                f"{row.target:<12} {row.workload:<12} {row.endpoint:<20} {row.concurrency:>4} "
                f"{s.requests:>7} {s.errors:>5} {s.rate:>8.1f} {_ms(s.p50_ms):>7} {_ms(s.p95_ms):>7} "
                f"{_ms(s.p99_ms):>7} {_times(r50):>7} {_times(r99):>7}"
            )
    return "\n".join(lines)


# --- the goals of issue 12 -----------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    target: str
    goal: str
    measured: str
    verdict: str  # met · not met · unproven · not measured · elsewhere


def _verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def floor_ratio_goal(result: TargetResult, endpoint: str, *, p50_max: float, p99_max: float) -> Goal:
    """The endpoint alone at 8 connections against the one-query floor at 8 connections."""
    goal = f"{endpoint}: p50 ≤ {p50_max:g}× and p99 ≤ {p99_max:g}× one-query floor @{GOAL_CONNECTIONS}"
    alone, floor = result.find("alone", endpoint, GOAL_CONNECTIONS), result.floor(GOAL_CONNECTIONS)
    if alone is None or floor is None or alone.p50_ms is None or alone.p99_ms is None:
        return Goal(result.name, goal, "no samples", "not measured")
    r50, r99 = floor_ratios(alone, floor)
    measured = (
        f"p50 {_ms(alone.p50_ms)} ms = {_times(r50)}, p99 {_ms(alone.p99_ms)} ms = {_times(r99)} "
        f"(floor {_ms(floor.p50_ms)}/{_ms(floor.p99_ms)})"
    )
    ok = r50 is not None and r99 is not None and r50 <= p50_max and r99 <= p99_max and alone.errors == 0
    return Goal(
        result.name, goal, measured + (f", {alone.errors} errors" if alone.errors else ""), _verdict(ok)
    )


def search_goal(result: TargetResult) -> Goal:
    goal = f"search: p95 < {SEARCH_P95_GOAL_MS:g} ms @{GOAL_CONNECTIONS} (reference data, ~100 entries)"
    alone = result.find("alone", "search", GOAL_CONNECTIONS)
    if alone is None or alone.p95_ms is None:
        return Goal(result.name, goal, "no samples", "not measured")
    return Goal(result.name, goal, f"p95 {_ms(alone.p95_ms)} ms", _verdict(alone.p95_ms < SEARCH_P95_GOAL_MS))


def scaling_goal(result: TargetResult, levels: Sequence[int]) -> Goal:
    """Audited reads' throughput in the mix grows with connections: at least 2× from 1 to 8, and
    not falling beyond 8 (the reading of "scales" this bench applies)."""
    goal = "audited reads scale with connections (mix: req/s @8 ≥ 2× @1, and @32 ≥ @8)"
    rates: dict[int, float] = {}
    for level in levels:
        summaries = [result.find("mixed", e, level) for e in AUDITED_READS]
        if all(s is not None for s in summaries):
            rates[level] = sum(s.rate for s in summaries if s is not None)
    measured = ", ".join(f"@{c}: {r:.0f}/s" for c, r in sorted(rates.items())) or "no samples"
    if not {1, 8} <= rates.keys():
        return Goal(result.name, goal, measured, "not measured")
    ok = rates[8] >= 2 * rates[1] and (32 not in rates or rates[32] >= rates[8])
    return Goal(result.name, goal, measured, _verdict(ok))


def coordinator_goals(result: TargetResult, coordinators: int) -> list[Goal]:
    goals = []
    for endpoint in COORDINATOR_SCREENS:
        goal = f"{endpoint}: p95 < {COORDINATOR_P95_GOAL_MS:g} ms with {coordinators} coordinators at once"
        s = result.find("coordinators", endpoint, coordinators)
        if s is None or s.p95_ms is None:
            goals.append(Goal(result.name, goal, "no samples", "not measured"))
        else:
            ok = s.p95_ms < COORDINATOR_P95_GOAL_MS and s.errors == 0
            goals.append(Goal(result.name, goal, f"p95 {_ms(s.p95_ms)} ms", _verdict(ok)))
    return goals


def memory_goal(result: TargetResult) -> Goal:
    goal = f"RSS < {RSS_GOAL_MB} MB after {RSS_GOAL_REQUESTS:,} requests"
    if not result.rss_kb:
        return Goal(result.name, goal, "not read", "not measured")
    mb = sum(result.rss_kb.values()) / 1024
    measured = f"{mb:.0f} MB after {result.requests_served:,} requests"
    if mb >= RSS_GOAL_MB:
        return Goal(result.name, goal, measured, "not met")
    if result.requests_served < RSS_GOAL_REQUESTS:
        return Goal(result.name, goal, measured + " (run --requests-for-rss 100000)", "unproven")
    return Goal(result.name, goal, measured, "met")


def cold_start_goal(result: TargetResult) -> Goal:
    goal = f"cold start to /readyz < {COLD_START_GOAL_S:g} s (fresh DATA_DIR)"
    if result.cold_start_s is None:
        return Goal(result.name, goal, "not measured", "not measured")
    measured = f"{result.cold_start_s:.2f} s"
    if len(result.cold_start_samples_s) > 1:
        measured += f" (median of {len(result.cold_start_samples_s)})"
    if result.restart_s is not None:
        measured += f" (restart on the same DATA_DIR {result.restart_s:.2f} s)"
    return Goal(result.name, goal, measured, _verdict(result.cold_start_s < COLD_START_GOAL_S))


ELSEWHERE = (
    (
        "referral → case visible (embedded p50 < 15, p99 < 40 ms; distributed p99 < 150 ms)",
        "tests.bench.referral_latency",
    ),
    ("directory search p95 < 20 ms at 50,000 entries", "tests.bench.directory_search"),
    ("metrics and tracing cost < 5 % @8", "tests.bench.observability_cost"),
)


def goals(results: Sequence[TargetResult], *, levels: Sequence[int], coordinators: int) -> list[Goal]:
    rows: list[Goal] = []
    for result in results:
        if result.status != "ran":
            rows.append(Goal(result.name, "every goal", f"{result.status}: {result.reason}", "not measured"))
            continue
        rows += [floor_ratio_goal(result, e, p50_max=2, p99_max=3) for e in (*AUDITED_READS, *LISTS)]
        rows.append(search_goal(result))
        if result.name == "distributed":
            rows.append(scaling_goal(result, levels))
        rows += coordinator_goals(result, coordinators)
        if result.name == "embedded":
            rows += [memory_goal(result), cold_start_goal(result)]
    rows += [Goal("—", goal, f"see {bench}", "elsewhere") for goal, bench in ELSEWHERE]
    return rows


def goals_table(rows: Iterable[Goal]) -> str:
    rows = list(rows)
    width = max(len(g.goal) for g in rows)
    lines = [f"{'target':<12} {'goal':<{width}} {'verdict':<13} measured", "-" * (width + 60)]
    lines += [f"{g.target:<12} {g.goal:<{width}} {g.verdict:<13} {g.measured}" for g in rows]
    return "\n".join(lines)


# --- files ---------------------------------------------------------------------------------------


def _row_json(row: Row, floor: Summary | None) -> dict[str, Any]:
    s = row.summary
    r50, r99 = floor_ratios(s, floor)
    return {
        "workload": row.workload,
        "endpoint": row.endpoint,
        "connections": row.concurrency,
        **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(s).items()},
        "req_per_s": round(s.rate, 2),
        "p50_to_floor": _round(r50),
        "p99_to_floor": _round(r99),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def document(
    results: Sequence[TargetResult], goal_rows: Sequence[Goal], meta: dict[str, Any]
) -> dict[str, Any]:
    return {
        "benchmark": "load",
        **meta,
        "targets": {
            r.name: {
                "status": r.status,
                "reason": r.reason,
                "cold_start_s": _round(r.cold_start_s),
                "cold_start_samples_s": [_round(x) for x in r.cold_start_samples_s],
                "restart_s": _round(r.restart_s),
                "rss_kb": r.rss_kb,
                "rss_along": [{"requests": n, "rss_kb": kb} for n, kb in r.rss_along],
                "requests_served": r.requests_served,
                "seeded": r.seeded,
                "error_examples": r.error_examples,
                "rows": [_row_json(row, r.floor(row.concurrency)) for row in r.rows],
            }
            for r in results
        },
        "goals": [asdict(g) for g in goal_rows],
    }


def write_json(doc: dict[str, Any], *paths: Path) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def plot(results: Sequence[TargetResult], path: Path) -> None:
    """p50 and p99 against connections, one panel per endpoint class (the mix) and one for the
    floors; a line per target (solid p50, dashed p99), the one-query floor's p50 dotted for scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator, ScalarFormatter

    ran = [r for r in results if r.status == "ran"]
    endpoints = list(dict.fromkeys(row.endpoint for r in ran for row in r.rows if row.workload == "mixed"))
    endpoints = [e for e in endpoints if e != "all"] + ["all", TRIVIAL, ONE_QUERY]
    columns = 4
    rows_ = -(-len(endpoints) // columns)
    figure, axes = plt.subplots(rows_, columns, figsize=(4 * columns, 3.2 * rows_), squeeze=False)
    colours = {"embedded": "tab:blue", "distributed": "tab:orange"}
    for ax, endpoint in zip(axes.flat, endpoints, strict=False):
        workload = "floor" if endpoint.startswith("floor.") else "mixed"
        for r in ran:
            points = sorted(
                (row.concurrency, row.summary)
                for row in r.rows
                if row.workload == workload and row.endpoint == endpoint and row.summary.p50_ms is not None
            )
            if not points:
                continue
            xs = [c for c, _ in points]
            colour = colours.get(r.name, "tab:green")
            ax.plot(xs, [s.p50_ms for _, s in points], "o-", color=colour, label=f"{r.name} p50")
            ax.plot(xs, [s.p99_ms for _, s in points], "s--", color=colour, label=f"{r.name} p99")
            floors = sorted(
                (row.concurrency, row.summary.p50_ms)
                for row in r.rows
                if row.workload == "floor" and row.endpoint == ONE_QUERY
            )
            if workload == "mixed" and floors:
                ax.plot(
                    [c for c, _ in floors],
                    [v for _, v in floors],
                    ":",
                    color=colour,
                    alpha=0.6,
                    label=f"{r.name} one-query floor p50",
                )
        ax.set_title(endpoint if workload == "floor" else f"{endpoint} (in the mix)", fontsize=9)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({row.concurrency for r in ran for row in r.rows if row.workload == workload}))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_yscale("log")
        ax.set_xlabel("connections", fontsize=8)
        ax.set_ylabel("ms", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(endpoints) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower right", fontsize=8)
    figure.suptitle("load bench: latency against concurrent connections (p50 solid, p99 dashed)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
