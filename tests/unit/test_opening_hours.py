"""開所日時: when a window or program is open, decided by plain functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from pydantic import ValidationError

from services.directory.resources.schedules import (
    day_facts,
    is_closure_day,
    is_open,
    openings,
    opens_on,
)
from services.directory.resources.schemas import ScheduleIn

WEEKDAYS_8_30 = ScheduleIn(
    freq="WEEKLY", byday=["MO", "TU", "WE", "TH", "FR"], opens_at=time(8, 30), closes_at=time(17, 15)
)
SALON = ScheduleIn(freq="MONTHLY", byday=["1WE", "3WE"], opens_at=time(10), closes_at=time(12))


def jst(*args: int) -> datetime:
    return datetime.fromisoformat(datetime(*args).isoformat() + "+09:00")  # type: ignore[arg-type]


def test_a_weekday_window_is_open_in_office_hours_only() -> None:
    assert is_open([WEEKDAYS_8_30], jst(2026, 11, 24, 8, 30))  # Tuesday
    assert is_open([WEEKDAYS_8_30], jst(2026, 11, 24, 17, 14))
    assert not is_open([WEEKDAYS_8_30], jst(2026, 11, 24, 17, 15))  # closing time is exclusive
    assert not is_open([WEEKDAYS_8_30], jst(2026, 11, 24, 8, 29))
    assert not is_open([WEEKDAYS_8_30], jst(2026, 11, 28, 10, 0))  # Saturday


def test_national_holidays_and_the_year_end_close_a_window_unless_it_says_otherwise() -> None:
    assert not is_open([WEEKDAYS_8_30], jst(2026, 11, 23, 10, 0))  # 勤労感謝の日, a Monday
    assert not is_open([WEEKDAYS_8_30], jst(2026, 12, 29, 10, 0))  # Tuesday, year-end closure
    assert not is_open([WEEKDAYS_8_30], jst(2026, 1, 2, 10, 0))  # a Friday, still the new-year closure
    assert is_open([WEEKDAYS_8_30], jst(2027, 1, 4, 10, 0))  # first working day
    hotline = WEEKDAYS_8_30.model_copy(update={"closed_on_holidays": False})
    assert is_open([hotline], jst(2026, 11, 23, 10, 0))
    assert is_open([hotline], jst(2026, 12, 29, 10, 0))


def test_closure_days() -> None:
    assert is_closure_day(date(2026, 11, 23))
    assert is_closure_day(date(2027, 1, 11))  # 成人の日: second Monday of January
    assert is_closure_day(date(2026, 5, 6))  # 振替休日 for Sunday 5/3
    assert not is_closure_day(date(2026, 11, 24))
    assert not is_closure_day(date(2026, 12, 28))


def test_first_and_third_wednesday() -> None:
    days = [d for d in range(1, 32) if opens_on([SALON], date(2026, 12, d))]
    assert days == [2, 16]  # December 2026 begins on a Tuesday
    assert not is_open([SALON], jst(2026, 12, 2, 12, 0))
    assert is_open([SALON], jst(2026, 12, 16, 11, 59))


def test_last_weekday_and_last_day_of_the_month() -> None:
    last_friday = ScheduleIn(freq="MONTHLY", byday=["-1FR"])
    month_end = ScheduleIn(freq="MONTHLY", bymonthday=[-1])
    assert [d for d in range(1, 31) if opens_on([last_friday], date(2026, 4, d))] == [24]
    assert [d for d in range(1, 32) if opens_on([last_friday], date(2027, 1, d))] == [29]
    assert [d for d in range(1, 29) if opens_on([month_end], date(2027, 2, d))] == [28]
    assert opens_on([month_end], date(2028, 2, 29))  # leap year
    fifth = ScheduleIn(freq="MONTHLY", byday=["5TH"])
    assert [d for d in range(1, 31) if opens_on([fifth], date(2026, 4, d))] == [30]
    assert not any(opens_on([fifth], date(2026, 2, d)) for d in range(1, 29))


def test_days_of_the_month_without_hours_mean_the_whole_day() -> None:
    fifteenth = ScheduleIn(freq="MONTHLY", bymonthday=[15], closed_on_holidays=False)
    assert is_open([fifteenth], jst(2026, 11, 15, 0, 0))
    assert is_open([fifteenth], jst(2026, 11, 15, 23, 59))
    assert not is_open([fifteenth], jst(2026, 11, 16, 0, 0))


def test_validity_period() -> None:
    pilot = WEEKDAYS_8_30.model_copy(update={"valid_from": date(2026, 4, 1), "valid_to": date(2027, 3, 31)})
    assert opens_on([pilot], date(2027, 3, 31))
    assert not opens_on([pilot], date(2027, 4, 1))  # a Thursday, but the pilot has ended
    assert not opens_on([pilot], date(2026, 3, 31))


def test_an_instant_is_read_in_japan_time() -> None:
    # 2026-11-24 00:30 UTC is 09:30 on Tuesday in Japan.
    assert is_open([WEEKDAYS_8_30], datetime(2026, 11, 24, 0, 30, tzinfo=UTC))
    # 2026-11-24 09:30 UTC is 18:30 in Japan: closed.
    assert not is_open([WEEKDAYS_8_30], datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert is_open([WEEKDAYS_8_30], datetime(2026, 11, 24, 9, 30))  # naive: already Japan time


def test_several_schedules_combine() -> None:
    saturday_mornings = ScheduleIn(freq="MONTHLY", byday=["2SA"], opens_at=time(9), closes_at=time(12))
    both = [WEEKDAYS_8_30, saturday_mornings]
    assert is_open(both, jst(2026, 12, 12, 9, 0))  # second Saturday
    assert not is_open(both, jst(2026, 12, 19, 9, 0))  # third Saturday


def test_day_facts() -> None:
    facts = day_facts(date(2026, 12, 30))
    assert (facts.weekday, facts.nth, facts.last_week, facts.last_day, facts.closure) == (
        2,
        5,
        True,
        False,
        True,
    )


def test_openings_expand_each_day_token() -> None:
    rows = openings(ScheduleIn(freq="MONTHLY", byday=["1WE", "-1FR"], bymonthday=[15]))
    assert [(o.weekday, o.nth, o.month_day) for o in rows] == [(2, 1, None), (4, -1, None), (None, None, 15)]


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"freq": "WEEKLY", "byday": []}, "byday"),
        ({"freq": "WEEKLY", "byday": ["1WE"]}, "freq"),
        ({"freq": "WEEKLY", "bymonthday": [3]}, "freq"),
        ({"freq": "MONTHLY", "byday": ["6WE"]}, "6WE"),
        ({"freq": "MONTHLY", "byday": ["XX"]}, "XX"),
        ({"freq": "MONTHLY", "bymonthday": [32]}, "1..31"),
        ({"freq": "WEEKLY", "byday": ["MO"], "opens_at": "09:00"}, "closes_at"),
        ({"freq": "WEEKLY", "byday": ["MO"], "opens_at": "17:00", "closes_at": "09:00"}, "closes_at"),
        (
            {"freq": "WEEKLY", "byday": ["MO"], "valid_from": "2027-01-01", "valid_to": "2026-01-01"},
            "valid_to",
        ),
        ({"freq": "DAILY", "byday": ["MO"]}, "freq"),
    ],
)
def test_inconsistent_schedules_are_refused_with_a_reason(schedule: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ScheduleIn.model_validate(schedule)
    assert field in str(raised.value)


def test_day_tokens_are_tidied() -> None:
    assert ScheduleIn(freq="MONTHLY", byday=[" 1we", "1WE", "-1fr"]).byday == ["1WE", "-1FR"]
