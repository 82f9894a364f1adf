"""Rules a consultation must satisfy beyond its schema: concerns and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.intake.consultations.concerns import Concern
from services.intake.consultations.rules import CLOCK_SKEW, check_concerns, check_dates
from shared.errors import InvalidInput

NOW = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
TODAY = date(2026, 11, 20)


def problems_of(error: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    """field path -> problem code."""
    return {problem.field: problem.code for problem in error.value.fields}


def check(
    *, received_at: datetime = NOW - timedelta(hours=1), birth_dates: dict[str, date | None] | None = None
) -> None:
    check_dates(received_at=received_at, birth_dates=birth_dates or {}, now=NOW, today=TODAY)


# --- concerns -------------------------------------------------------------------------------


def test_distinct_concerns_with_the_main_one_among_them_pass() -> None:
    check_concerns([Concern.elder_care, Concern.income], Concern.income)


def test_a_concern_listed_twice_names_the_second_occurrence() -> None:
    with pytest.raises(InvalidInput) as error:
        check_concerns([Concern.debt, Concern.income, Concern.debt], Concern.debt)

    assert problems_of(error) == {"concerns[2].code": "duplicate"}
    assert error.value.status == 422


def test_a_main_concern_that_is_not_among_the_concerns_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        check_concerns([Concern.debt, Concern.income], Concern.housing)

    assert problems_of(error) == {"main_concern": "not_in_concerns"}


def test_duplicate_and_misplaced_main_concern_are_reported_together() -> None:
    with pytest.raises(InvalidInput) as error:
        check_concerns([Concern.debt, Concern.debt], Concern.housing)

    assert problems_of(error) == {"concerns[1].code": "duplicate", "main_concern": "not_in_concerns"}


def test_concern_problems_speak_both_languages() -> None:
    with pytest.raises(InvalidInput) as error:
        check_concerns([Concern.debt], Concern.housing)

    message = error.value.fields[0].message
    assert "主な課題" in message.pick("ja")
    assert "main concern" in message.pick("en")


# --- dates ----------------------------------------------------------------------------------


def test_a_consultation_received_in_the_past_with_plausible_birth_dates_passes() -> None:
    check(birth_dates={"person.birth_date": date(1944, 5, 1), "household[0].birth_date": None})


def test_a_window_clock_running_a_little_ahead_is_tolerated() -> None:
    check(received_at=NOW + CLOCK_SKEW)


def test_received_beyond_the_clock_skew_is_in_the_future() -> None:
    with pytest.raises(InvalidInput) as error:
        check(received_at=NOW + CLOCK_SKEW + timedelta(seconds=1))

    assert problems_of(error) == {"received_at": "in_future"}


def test_received_at_is_compared_as_an_instant_whatever_its_time_zone() -> None:
    jst = timezone(timedelta(hours=9))
    check(received_at=datetime(2026, 11, 20, 10, 33, tzinfo=jst))  # NOW + 3 minutes
    with pytest.raises(InvalidInput):
        check(received_at=datetime(2026, 11, 20, 10, 40, tzinfo=jst))  # NOW + 10 minutes


def test_a_birth_date_of_today_is_possible() -> None:
    check(birth_dates={"person.birth_date": TODAY})


def test_a_birth_date_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        check(birth_dates={"person.birth_date": TODAY + timedelta(days=1)})

    assert problems_of(error) == {"person.birth_date": "in_future"}


def test_a_birth_date_before_1900_is_implausibly_old() -> None:
    check(birth_dates={"person.birth_date": date(1900, 1, 1)})
    with pytest.raises(InvalidInput) as error:
        check(birth_dates={"person.birth_date": date(1899, 12, 31)})

    assert problems_of(error) == {"person.birth_date": "too_old"}


def test_household_birth_dates_are_named_by_their_row() -> None:
    with pytest.raises(InvalidInput) as error:
        check(
            birth_dates={
                "person.birth_date": date(1944, 5, 1),
                "household[0].birth_date": date(1974, 1, 1),
                "household[1].birth_date": TODAY + timedelta(days=30),
                "household[2].birth_date": date(1850, 1, 1),
            }
        )

    assert problems_of(error) == {
        "household[1].birth_date": "in_future",
        "household[2].birth_date": "too_old",
    }


def test_every_date_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as error:
        check(
            received_at=NOW + timedelta(days=1), birth_dates={"person.birth_date": TODAY + timedelta(days=1)}
        )

    assert problems_of(error) == {"received_at": "in_future", "person.birth_date": "in_future"}
