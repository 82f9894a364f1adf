"""The load bench's arithmetic (tests/bench/load/stats.py, report.py): percentiles, ratios to the
floor, and the goals' verdicts, on made-up summaries; no server, no database."""

from __future__ import annotations

import random

import pytest

from tests.bench.load.report import (
    Row,
    TargetResult,
    cold_start_goal,
    coordinator_goals,
    floor_ratio_goal,
    goals,
    memory_goal,
    scaling_goal,
    search_goal,
    table,
)
from tests.bench.load.runner import Route
from tests.bench.load.stats import Summary, percentile, ratio
from tests.bench.load.workload import MIXED_WEIGHTS, Workload, fiscal_year_of


def test_nearest_rank_percentiles() -> None:
    ordered = [float(i) for i in range(1, 101)]  # 1..100
    assert percentile(ordered, 50) == 50
    assert percentile(ordered, 95) == 95
    assert percentile(ordered, 99) == 99
    assert percentile(ordered, 100) == 100
    assert percentile(ordered, 0) == 1
    assert percentile([7.0], 99) == 7
    # Ten samples: the p99 is the largest, never an interpolated value between two.
    assert percentile([float(i) for i in range(10)], 99) == 9


def test_percentile_refuses_nothing_and_nonsense() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_a_summary_sorts_its_samples_and_counts_the_rate_without_errors() -> None:
    samples = [float(i) for i in range(100, 0, -1)]
    random.Random(1).shuffle(samples)
    summary = Summary.of(samples, errors=3, seconds=4.0)
    assert (summary.requests, summary.errors) == (100, 3)
    assert (summary.p50_ms, summary.p95_ms, summary.p99_ms, summary.max_ms) == (50, 95, 99, 100)
    assert summary.rate == 25.0
    empty = Summary.of([], errors=2, seconds=1.0)
    assert (empty.requests, empty.p50_ms, empty.rate) == (0, None, 0.0)


def test_ratio_is_none_without_a_floor() -> None:
    assert ratio(6.0, 2.0) == 3.0
    assert ratio(None, 2.0) is None
    assert ratio(6.0, None) is None
    assert ratio(6.0, 0.0) is None


def _summary(p50: float, p99: float, *, p95: float | None = None, n: int = 1000, errors: int = 0) -> Summary:
    return Summary(n, errors, 10.0, p50, p95 if p95 is not None else p99, p99, p99)


def _result(name: str = "embedded", **rows: Summary) -> TargetResult:
    """Rows named 'workload:endpoint:connections'."""
    result = TargetResult(name)
    for key, summary in rows.items():
        workload, endpoint, connections = key.split(":")
        result.rows.append(Row(name, workload, endpoint, int(connections), summary))
    return result


FLOOR_8 = "floor:floor.one_query:8"


def test_the_floor_ratio_goal_needs_both_the_p50_and_the_p99_within_bounds() -> None:
    within = _result(**{FLOOR_8: _summary(5, 10), "alone:read.case:8": _summary(10, 30)})
    assert floor_ratio_goal(within, "read.case", p50_max=2, p99_max=3).verdict == "met"
    slow_tail = _result(**{FLOOR_8: _summary(5, 10), "alone:read.case:8": _summary(10, 31)})
    goal = floor_ratio_goal(slow_tail, "read.case", p50_max=2, p99_max=3)
    assert goal.verdict == "not met"
    assert "3.1×" in goal.measured
    failing = _result(**{FLOOR_8: _summary(5, 10), "alone:read.case:8": _summary(6, 12, errors=4)})
    assert floor_ratio_goal(failing, "read.case", p50_max=2, p99_max=3).verdict == "not met"
    no_floor = _result(**{"alone:read.case:8": _summary(6, 12)})
    assert floor_ratio_goal(no_floor, "read.case", p50_max=2, p99_max=3).verdict == "not measured"


def test_search_and_coordinator_goals_read_the_p95() -> None:
    result = _result(
        **{
            "alone:search:8": _summary(5, 50, p95=19.9),
            "coordinators:figures:20": _summary(50, 400, p95=199),
            "coordinators:list.work:20": _summary(50, 400, p95=200),
        }
    )
    assert search_goal(result).verdict == "met"
    verdicts = {g.goal.split(":")[0]: g.verdict for g in coordinator_goals(result, 20)}
    assert verdicts == {
        "figures": "met",
        "list.work": "not met",
        "list.monitoring_due": "not measured",
        "list.cases": "not measured",
    }


def test_scaling_means_twice_the_reads_at_8_and_no_fall_at_32() -> None:
    def mixed(rate_1: float, rate_8: float, rate_32: float) -> TargetResult:
        rows = {}
        for level, rate in ((1, rate_1), (8, rate_8), (32, rate_32)):
            for endpoint in ("read.consultation", "read.case"):
                rows[f"mixed:{endpoint}:{level}"] = Summary(int(rate * 5), 0, 10.0, 1, 1, 1, 1)
        return _result("distributed", **rows)

    assert scaling_goal(mixed(10, 20, 20), [1, 8, 32]).verdict == "met"
    assert scaling_goal(mixed(10, 19, 30), [1, 8, 32]).verdict == "not met"
    assert scaling_goal(mixed(10, 30, 29), [1, 8, 32]).verdict == "not met"


def test_memory_goal_is_unproven_below_the_request_count_unless_already_over() -> None:
    result = TargetResult("embedded", rss_kb={"embedded": 100 * 1024}, requests_served=20_000)
    assert memory_goal(result).verdict == "unproven"
    result.requests_served = 100_000
    assert memory_goal(result).verdict == "met"
    result.rss_kb = {"embedded": 151 * 1024}
    result.requests_served = 5_000
    assert memory_goal(result).verdict == "not met"


def test_cold_start_goal() -> None:
    assert cold_start_goal(TargetResult("embedded", cold_start_s=1.9)).verdict == "met"
    goal = cold_start_goal(TargetResult("embedded", cold_start_s=2.5, restart_s=1.0))
    assert goal.verdict == "not met"
    assert "restart" in goal.measured


def test_a_skipped_target_says_so_in_the_table_and_in_the_goals() -> None:
    skipped = TargetResult("distributed", status="skipped", reason="--skip-distributed")
    ran = _result(**{FLOOR_8: _summary(5, 10), "alone:read.case:8": _summary(10, 30)})
    assert "distributed  SKIPPED: --skip-distributed" in table([ran, skipped])
    rows = goals([ran, skipped], levels=[1, 8, 32], coordinators=20)
    assert any(
        g.target == "distributed" and g.verdict == "not measured" and "skipped" in g.measured for g in rows
    )
    # The table shows each row's ratio to the one-query floor at the same connections.
    line = next(line for line in table([ran]).splitlines() if "read.case" in line)
    assert line.split()[-2:] == ["2.0×", "3.0×"]


def test_requests_go_to_the_service_named_by_the_path() -> None:
    route = Route({"intake": 8001, "coordination": 8002, "trivial": 9000})
    assert route.port_for("/intake/v1/consultations/abc") == 8001
    assert route.port_for("/coordination/v1/cases?limit=20") == 8002
    assert route.port_for("/trivial") == 9000


def test_the_mix_and_the_fiscal_year() -> None:
    from datetime import date

    mix = Workload.of("mixed", MIXED_WEIGHTS)
    assert {c.name for c in mix.classes} == set(MIXED_WEIGHTS)
    assert fiscal_year_of(date(2026, 12, 2)) == 2026
    assert fiscal_year_of(date(2027, 3, 31)) == 2026
    assert fiscal_year_of(date(2027, 4, 1)) == 2027
