"""What monitoring is due: the planned dates of the plan in force not yet recorded. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DueDate:
    due_on: date
    overdue: bool  # the day has passed without a record


def due_dates(planned: Iterable[date], recorded: Iterable[date], *, today: date) -> list[DueDate]:
    """Planned dates without a record, earliest first; those before today are overdue."""
    done = set(recorded)
    return [DueDate(day, day < today) for day in sorted(set(planned) - done)]
