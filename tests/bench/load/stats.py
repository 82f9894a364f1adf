"""Percentiles and per-measurement summaries (pure: no I/O, unit-tested)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence (p in 0..100)."""
    if not ordered:
        raise ValueError("no samples")
    if not 0 <= p <= 100:
        raise ValueError("p is a percentage")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    """One endpoint class in one measurement: how many answered, how fast, how many failed."""

    requests: int
    errors: int
    seconds: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, samples_ms: Sequence[float], *, errors: int, seconds: float) -> Summary:
        ordered = sorted(samples_ms)
        if not ordered:
            return cls(0, errors, seconds, None, None, None, None)
        return cls(
            requests=len(ordered),
            errors=errors,
            seconds=seconds,
            p50_ms=percentile(ordered, 50),
            p95_ms=percentile(ordered, 95),
            p99_ms=percentile(ordered, 99),
            max_ms=ordered[-1],
        )

    @property
    def rate(self) -> float:
        """Answered requests per second (errors excluded)."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def ratio(value: float | None, floor: float | None) -> float | None:
    """value / floor, or None when either is missing (or the floor is zero)."""
    if value is None or not floor:
        return None
    return value / floor
