"""A case's states, and case numbers by fiscal year (年度, April to March in Japan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.coordination.cases.rules import (
    CaseStatus,
    InvalidCaseTransition,
    case_id_for,
    case_number,
    fiscal_year,
    transition,
)

JST = timezone(timedelta(hours=9))


def test_the_first_of_april_in_japan_starts_the_new_fiscal_year_while_utc_is_still_in_march() -> None:
    assert fiscal_year(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)) == 2026  # 2026-04-01 00:00 JST


def test_the_last_minute_of_march_in_japan_belongs_to_the_old_fiscal_year() -> None:
    assert fiscal_year(datetime(2026, 3, 31, 14, 59, tzinfo=UTC)) == 2025  # 2026-03-31 23:59 JST


@pytest.mark.parametrize(
    ("at", "year"),
    [
        (datetime(2026, 4, 1, 0, 0, tzinfo=JST), 2026),
        (datetime(2026, 3, 31, 23, 59, 59, tzinfo=JST), 2025),
        (datetime(2026, 1, 15, 12, 0, tzinfo=JST), 2025),
        (datetime(2026, 12, 31, 23, 59, tzinfo=JST), 2026),
        (datetime(2026, 12, 31, 15, 0, tzinfo=UTC), 2026),  # 2027-01-01 JST: still FY2026
        (datetime(2027, 3, 31, 14, 59, tzinfo=UTC), 2026),
    ],
)
def test_fiscal_year_runs_april_to_march_by_the_date_in_japan(at: datetime, year: int) -> None:
    assert fiscal_year(at) == year


def test_case_numbers_are_the_fiscal_year_and_a_five_digit_sequence() -> None:
    assert case_number(2026, 1) == "2026-00001"
    assert case_number(2025, 42) == "2025-00042"
    assert case_number(2026, 99999) == "2026-99999"


@pytest.mark.parametrize("answer", [CaseStatus.declined, CaseStatus.returned])
def test_an_open_case_can_be_declined_or_returned(answer: CaseStatus) -> None:
    assert transition("open", answer) == answer


@pytest.mark.parametrize("current", [CaseStatus.declined, CaseStatus.returned])
@pytest.mark.parametrize("target", list(CaseStatus))
def test_an_answered_case_cannot_move_again(current: CaseStatus, target: CaseStatus) -> None:
    with pytest.raises(InvalidCaseTransition) as error:
        transition(current.value, target)

    assert error.value.status == 409


def test_an_open_case_cannot_be_opened_again() -> None:
    with pytest.raises(InvalidCaseTransition):
        transition("open", CaseStatus.open)


def test_a_cases_id_is_drawn_from_its_tenant_and_referral() -> None:
    assert case_id_for("016314", "referral-1") == case_id_for("016314", "referral-1")
    assert case_id_for("016314", "referral-1") != case_id_for("016314", "referral-2")
    assert case_id_for("016314", "referral-1") != case_id_for("223417", "referral-1")
    assert len(case_id_for("016314", "referral-1")) == 36  # fits the 36-character id columns
