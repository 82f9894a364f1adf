"""When a place is open: plain functions over its schedules, no database.

A schedule follows HSDS (RFC 5545 recurrence rules, only the parts windows and programs use):
weekly on some weekdays (「月〜金」), monthly on the n-th or last weekday (「第1・第3水曜」,
「最終金曜」) or on days of the month (「毎月15日」), with opening hours and a validity period.
Municipal windows close on national holidays and over the year end (12/29–1/3, 行政機関の休日);
a schedule says whether it does (`closed_on_holidays`), since a salon or a 24-hour line may not.

Times are Japan local time (no daylight saving), so a query's instant is read in Asia/Tokyo.
Search does the same test in SQL over `openings` rows; `is_open` is the reference it must agree with.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import jpholiday

from services.directory.resources.schemas import ScheduleIn

JST = timezone(timedelta(hours=9), "JST")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES_JA = ("月", "火", "水", "木", "金", "土", "日")
LAST = -1


def is_year_end_closure(day: date) -> bool:
    """12月29日〜1月3日: the days public offices are closed (行政機関の休日に関する法律 §1)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_closure_day(day: date) -> bool:
    """A national holiday (including substitute and citizens' holidays) or the year-end closure."""
    return jpholiday.is_holiday(day) or is_year_end_closure(day)


@dataclass(frozen=True)
class DayFacts:
    """What a rule can test about one calendar day."""

    day: date
    weekday: int  # 0 = Monday
    nth: int  # which occurrence of this weekday in the month, 1..5
    last_week: bool  # the last occurrence of this weekday in the month
    last_day: bool  # the last day of the month
    closure: bool  # holiday or year-end closure


def day_facts(day: date) -> DayFacts:
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    return DayFacts(
        day=day,
        weekday=day.weekday(),
        nth=(day.day - 1) // 7 + 1,
        last_week=day.day + 7 > days_in_month,
        last_day=day.day == days_in_month,
        closure=is_closure_day(day),
    )


@dataclass(frozen=True)
class Opening:
    """One expanded rule of a schedule: a weekday (optionally the n-th or last in the month) or a
    day of the month, with hours. The rows search filters on."""

    weekday: int | None
    nth: int | None  # None = every week; 1..5; -1 = last
    month_day: int | None  # 1..31; -1 = last day
    opens_at: str | None  # 'HH:MM', compared as text
    closes_at: str | None
    valid_from: date | None
    valid_to: date | None
    closed_on_holidays: bool

    def as_row(self) -> dict[str, Any]:
        return {
            "weekday": self.weekday,
            "nth": self.nth,
            "month_day": self.month_day,
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "closed_on_holidays": self.closed_on_holidays,
        }


def parse_byday(token: str) -> tuple[int | None, int]:
    """'WE' → (None, 2); '1WE' → (1, 2); '-1FR' → (-1, 4)."""
    return (int(token[:-2]) if len(token) > 2 else None), WEEKDAYS.index(token[-2:])


def openings(schedule: ScheduleIn) -> list[Opening]:
    def opening(weekday: int | None, nth: int | None, month_day: int | None) -> Opening:
        return Opening(
            weekday=weekday,
            nth=nth,
            month_day=month_day,
            opens_at=_hhmm(schedule.opens_at),
            closes_at=_hhmm(schedule.closes_at),
            valid_from=schedule.valid_from,
            valid_to=schedule.valid_to,
            closed_on_holidays=schedule.closed_on_holidays,
        )

    rows = []
    for token in schedule.byday:
        nth, weekday = parse_byday(token)
        rows.append(opening(weekday, nth, None))
    rows.extend(opening(None, None, d) for d in schedule.bymonthday)
    return rows


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def opening_covers_day(o: Opening, facts: DayFacts) -> bool:
    if o.valid_from is not None and facts.day < o.valid_from:
        return False
    if o.valid_to is not None and facts.day > o.valid_to:
        return False
    if o.closed_on_holidays and facts.closure:
        return False
    if o.weekday is not None:
        if o.weekday != facts.weekday:
            return False
        return o.nth is None or o.nth == facts.nth or (o.nth == LAST and facts.last_week)
    if o.month_day == LAST:
        return facts.last_day
    return o.month_day == facts.day.day


def opening_covers_time(o: Opening, at: time) -> bool:
    """Without hours a rule means the whole day; `closes_at` is exclusive."""
    hhmm = _hhmm(at)
    assert hhmm is not None
    return (o.opens_at is None or o.opens_at <= hhmm) and (o.closes_at is None or hhmm < o.closes_at)


def opens_on(schedules: Iterable[ScheduleIn], day: date) -> bool:
    facts = day_facts(day)
    return any(opening_covers_day(o, facts) for s in schedules for o in openings(s))


def is_open(schedules: Iterable[ScheduleIn], at: datetime) -> bool:
    local = to_local(at)
    facts = day_facts(local.date())
    return any(
        opening_covers_day(o, facts) and opening_covers_time(o, local.time())
        for s in schedules
        for o in openings(s)
    )


def to_local(at: datetime) -> datetime:
    """A naive instant is already Japan time (what a front-end in Japan sends)."""
    return at.replace(tzinfo=JST) if at.tzinfo is None else at.astimezone(JST)
