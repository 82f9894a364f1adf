"""What monitoring is due: the plan's dates without a record, earliest first; past ones overdue."""

from __future__ import annotations

from datetime import date

from services.coordination.monitoring.rules import DueDate, due_dates

TODAY = date(2026, 12, 1)


def test_planned_dates_without_a_record_are_due_and_past_ones_overdue() -> None:
    planned = [date(2027, 1, 15), date(2026, 11, 15), date(2026, 12, 1), date(2026, 10, 15)]
    recorded = [date(2026, 10, 15)]
    assert due_dates(planned, recorded, today=TODAY) == [
        DueDate(date(2026, 11, 15), overdue=True),
        DueDate(date(2026, 12, 1), overdue=False),  # due today: not overdue yet
        DueDate(date(2027, 1, 15), overdue=False),
    ]


def test_nothing_is_due_when_every_date_is_recorded() -> None:
    assert due_dates([date(2026, 11, 1)], [date(2026, 11, 1)], today=TODAY) == []
