"""A case's states and the moves between them; case numbering by fiscal year. No I/O."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from shared.errors import Conflict, Text

JST = timezone(timedelta(hours=9))


class CaseStatus(StrEnum):
    open = "open"  # accepted; assessment and planning follow
    declined = "declined"  # collaboration will not take it on
    returned = "returned"  # sent back to the window


TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.open: frozenset({CaseStatus.declined, CaseStatus.returned}),
    CaseStatus.declined: frozenset(),
    CaseStatus.returned: frozenset(),
}


class InvalidCaseTransition(Conflict):
    slug = "invalid-case-transition"
    title = Text("現在のケースの状態ではこの操作はできません。", "The case's status does not allow this.")


def transition(current: str, target: CaseStatus) -> CaseStatus:
    if target not in TRANSITIONS[CaseStatus(current)]:
        raise InvalidCaseTransition(
            Text(
                f"状態 {current} のケースを {target} にはできません。",
                f"A {current} case cannot become {target}.",
            )
        )
    return target


def fiscal_year(at: datetime) -> int:
    """年度: April to March, by the date in Japan."""
    day: date = at.astimezone(JST).date()
    return day.year if day.month >= 4 else day.year - 1


def case_number(year: int, number: int) -> str:
    return f"{year}-{number:05d}"
