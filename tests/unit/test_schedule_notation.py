"""開所日時 as staff type it in Excel: reading, writing, and writing what is read back."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest

from services.directory.resources.schedule_notation import (
    ScheduleNotationError,
    as_stored,
    format_schedule,
    format_schedules,
    parse_schedules,
)
from services.directory.resources.schedules import WEEKDAYS, opens_on
from services.directory.resources.schemas import ScheduleIn
from shared.errors import BilingualValueError

MON_FRI = ["MO", "TU", "WE", "TH", "FR"]


def weekly(byday: list[str], hours: tuple[int, int, int, int] | None = None, **more: Any) -> ScheduleIn:
    return ScheduleIn(freq="WEEKLY", byday=byday, **_hours(hours), **more)


def monthly(
    byday: list[str] | None = None,
    days: list[int] | None = None,
    hours: tuple[int, int, int, int] | None = None,
    **more: Any,
) -> ScheduleIn:
    return ScheduleIn(freq="MONTHLY", byday=byday or [], bymonthday=days or [], **_hours(hours), **more)


def _hours(hours: tuple[int, int, int, int] | None) -> dict[str, time]:
    if hours is None:
        return {}
    return {"opens_at": time(hours[0], hours[1]), "closes_at": time(hours[2], hours[3])}


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("月〜金 8:30-17:15", [weekly(MON_FRI, (8, 30, 17, 15))]),
        ("月・水・金 9:00-12:00", [weekly(["MO", "WE", "FR"], (9, 0, 12, 0))]),
        ("土日 10:00-15:00", [weekly(["SA", "SU"], (10, 0, 15, 0))]),
        ("火曜", [weekly(["TU"])]),
        ("月曜日〜金曜日 9:00-17:00", [weekly(MON_FRI, (9, 0, 17, 0))]),
        ("平日 9時-17時半", [weekly(MON_FRI, (9, 0, 17, 30))]),
        ("毎日 10時15分-11時", [weekly([*MON_FRI, "SA", "SU"], (10, 15, 11, 0))]),
        ("第1・第3水曜 10:00-12:00", [monthly(["1WE", "3WE"], hours=(10, 0, 12, 0))]),
        ("第1・3水曜", [monthly(["1WE", "3WE"])]),
        ("第2土 13:30-15:30", [monthly(["2SA"], hours=(13, 30, 15, 30))]),
        ("最終金曜 18:00-20:00", [monthly(["-1FR"], hours=(18, 0, 20, 0))]),
        ("第2・第4土日", [monthly(["2SA", "4SA", "2SU", "4SU"])]),
        ("第1・最終月曜", [monthly(["1MO", "-1MO"])]),
        ("毎月15日 10:00-11:30", [monthly(days=[15], hours=(10, 0, 11, 30))]),
        ("毎月末日", [monthly(days=[-1])]),
        ("毎月1・15日・末日", [monthly(days=[1, 15, -1])]),
        ("20日", [monthly(days=[20])]),
        ("毎週月・第1水曜", [monthly(["MO", "1WE"])]),
        ("第3木・25日 13:00-14:00", [monthly(["3TH"], [25], hours=(13, 0, 14, 0))]),
        ("毎月毎週月曜", [monthly(["MO"])]),
        (
            "月〜金 8:30-17:15／第2土 9:00-12:00",
            [weekly(MON_FRI, (8, 30, 17, 15)), monthly(["2SA"], hours=(9, 0, 12, 0))],
        ),
        ("月〜金 8:30-17:15（祝日も開所）", [weekly(MON_FRI, (8, 30, 17, 15), closed_on_holidays=False)]),
        ("土 (祝日も開所)", [weekly(["SA"], closed_on_holidays=False)]),
        (
            "2026-04-01〜2027-03-31: 月〜金 8:30-17:15",
            [weekly(MON_FRI, (8, 30, 17, 15), valid_from=date(2026, 4, 1), valid_to=date(2027, 3, 31))],
        ),
        ("2026-04-01〜: 火", [weekly(["TU"], valid_from=date(2026, 4, 1))]),
        ("〜2027-03-31: 火", [weekly(["TU"], valid_to=date(2027, 3, 31))]),
        (
            "2026/4/1〜2026/9/30: 火",
            [weekly(["TU"], valid_from=date(2026, 4, 1), valid_to=date(2026, 9, 30))],
        ),
        ("", []),
        ("  \n ", []),
    ],
)
def test_each_form_reads_as_its_schedule(text: str, expected: list[ScheduleIn]) -> None:
    assert parse_schedules(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "月〜金 8:30-17:15",
        "月～金 8:30～17:15",  # the full-width tilde Windows IMEs type
        "月-金 8:30-17:15",
        "月ー金 8:30ー17:15",
        "月－金　８：３０－１７：１５",  # full width throughout, with an ideographic space
        "月 〜 金  8:30 - 17:15",
        "月曜〜金曜 8時30分-17時15分",
    ],
)
def test_range_marks_and_full_width_forms_are_all_read(text: str) -> None:
    assert parse_schedules(text) == [weekly(MON_FRI, (8, 30, 17, 15))]


@pytest.mark.parametrize("separator", ["／", "/", ";", "；", "\n", "\r\n", " ／ "])
def test_rules_are_separated_by_any_of_the_separators(separator: str) -> None:
    assert parse_schedules(f"月〜金 8:30-17:15{separator}第2土 9:00-12:00") == [
        weekly(MON_FRI, (8, 30, 17, 15)),
        monthly(["2SA"], hours=(9, 0, 12, 0)),
    ]


def test_what_is_read_is_what_the_opening_hours_use() -> None:
    salon = parse_schedules("第1・第3水曜 10:00-12:00")
    month_end = parse_schedules("毎月末日")

    assert [d for d in range(1, 32) if opens_on(salon, date(2026, 12, d))] == [2, 16]
    assert [d for d in range(1, 29) if opens_on(month_end, date(2027, 2, d))] == [28]


# --- what cannot be read -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "part", "reason"),
    [
        ("第6水曜 10:00-12:00", "第6", "第1〜第5 か 最終"),
        ("月〜金 25:00-26:00", "25:00", "0:00〜23:59"),
        ("月〜金 9:00-24:00", "24:00", "0:00〜23:59"),
        ("月〜金 9:60-12:00", "9:60", "0:00〜23:59"),
        ("月〜金 17:00-9:00", "17:00-9:00", "開始時刻より後"),
        ("月〜金 9:00-9:00", "9:00-9:00", "開始時刻より後"),
        ("月〜金 9:00", "9:00", "開始-終了"),
        ("月〜祝 9:00-17:00", "祝", "曜日として読めません"),
        ("隔週火曜", "隔週", "曜日として読めません"),
        ("Mon-Fri", "Mon-Fri", "曜日として読めません"),
        ("土〜月", "土〜月", "月曜から日曜の向き"),
        ("月〜", "月〜", "範囲の終わり"),
        ("月・・金", "月・・金", "「・」が続いています"),
        ("第1水・金", "金", "毎週"),
        ("第1", "第1", "曜日か「日」が必要"),
        ("第1・15日", "第1", "曜日に付けます"),
        ("毎週第1水曜", "毎週第1水曜", "第n は付けられません"),
        ("32日", "32日", "1〜31日 か 末日"),
        ("毎月", "毎月", "曜日か日付を"),
        ("9:00-17:00", "9:00-17:00", "曜日か日付を"),
        ("月（予約制）", "(予約制)", "（祝日も開所）だけ"),
        ("月（祝日も開所） 9:00-17:00", "(祝日も開所) 9:00-17:00", "最後に書きます"),
        ("2026-02-30〜: 月", "2026-02-30", "存在しない日付"),
        ("2027-04-01〜2026-04-01: 月", "2027-04-01〜2026-04-01:", "終わりが始まりより前"),
        ("2026-04-01 月〜金", "2026-04-01 月〜金", "有効期間は"),
    ],
)
def test_nonsense_is_refused_naming_the_part_that_is_wrong(text: str, part: str, reason: str) -> None:
    with pytest.raises(ScheduleNotationError) as raised:
        parse_schedules(text)

    error = raised.value
    assert isinstance(error, BilingualValueError)  # what validators and the CSV report carry
    assert error.part == part
    assert f"「{part}」" in error.text.ja or part == text
    assert reason in error.text.ja
    assert error.text.en.startswith("Opening hours")
    assert str(error) == error.text.en


@pytest.mark.parametrize(
    ("text", "rule"),
    [("月〜金／／土", 2), ("／月", 1), ("月〜金；", 2), ("月〜金\n\n土", 2), ("月\n火\n;水", 3)],
)
def test_an_empty_rule_between_separators_is_refused_with_its_number(text: str, rule: int) -> None:
    with pytest.raises(ScheduleNotationError) as raised:
        parse_schedules(text)

    assert raised.value.rule == rule
    assert f"{rule}件目" in raised.value.text.ja and "空" in raised.value.text.ja
    assert f"rule {rule}" in raised.value.text.en


def test_a_problem_in_a_later_rule_says_which_rule() -> None:
    with pytest.raises(ScheduleNotationError) as raised:
        parse_schedules("月〜金 8:30-17:15／第6水曜 10:00-12:00")

    assert raised.value.rule == 2
    assert raised.value.text.ja.startswith("開所日時の2件目「第6水曜 10:00-12:00」の「第6」: ")
    assert raised.value.text.en.startswith("Opening hours, rule 2 '第6水曜 10:00-12:00' at '第6': ")


# --- writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedules", "text"),
    [
        ([weekly(MON_FRI, (8, 30, 17, 15))], "月〜金 8:30-17:15"),
        ([weekly(["FR", "WE", "MO"], (9, 0, 12, 0))], "月・水・金 9:00-12:00"),
        ([weekly(["SU", "SA"])], "土・日"),
        ([weekly(["MO", "TU", "WE", "FR", "SA", "SU"])], "月〜水・金〜日"),
        ([weekly(["MO", "TU", "TH"])], "月・火・木"),
        ([weekly(["TU"], (0, 0, 23, 59))], "火曜 0:00-23:59"),
        ([monthly(["3WE", "1WE"], hours=(10, 0, 12, 0))], "第1・第3水曜 10:00-12:00"),
        ([monthly(["2SU", "2SA", "4SA", "4SU"])], "第2・第4土日"),
        ([monthly(["-1FR", "1FR", "1MO"])], "第1月曜・第1・最終金曜"),
        ([monthly(["1MO", "1TU", "1WE", "1FR"])], "第1月〜水金"),
        ([monthly(days=[15], hours=(10, 0, 11, 30))], "毎月15日 10:00-11:30"),
        ([monthly(days=[-1, 15, 1])], "毎月1・15日・末日"),
        ([monthly(["TU", "2SA"], [10])], "毎週火曜・第2土曜・10日"),
        ([monthly(["MO"])], "毎月毎週月曜"),
        (
            [weekly(MON_FRI, (8, 30, 17, 15)), monthly(["2SA"], hours=(9, 0, 12, 0))],
            "月〜金 8:30-17:15／第2土曜 9:00-12:00",
        ),
        ([weekly(["SA"], closed_on_holidays=False)], "土曜（祝日も開所）"),
        (
            [weekly(MON_FRI, (8, 30, 17, 15), valid_from=date(2026, 4, 1), valid_to=date(2027, 3, 31))],
            "2026-04-01〜2027-03-31: 月〜金 8:30-17:15",
        ),
        ([weekly(["TU"], valid_to=date(2027, 3, 31))], "〜2027-03-31: 火曜"),
        ([], ""),
    ],
)
def test_schedules_are_written_in_weekday_order_with_runs_as_ranges(
    schedules: list[ScheduleIn], text: str
) -> None:
    assert format_schedules(schedules) == text


def generated() -> Iterator[ScheduleIn]:
    """Every set of weekdays as a weekly rule, then monthly rules drawn with a fixed seed: n-th and
    last weekdays, days of the month and every-week weekdays mixed, with hours, validity and holidays
    varied. byday is in the reader's order (every-week Mon..Sun, then by weekday and 第1..最終)."""
    rng = random.Random(20261202)

    def hours() -> dict[str, time]:
        if rng.random() < 0.3:
            return {}
        opens = rng.randrange(23 * 60 + 59)
        closes = rng.randrange(opens + 1, 24 * 60)
        return {"opens_at": time(*divmod(opens, 60)), "closes_at": time(*divmod(closes, 60))}

    def more() -> dict[str, Any]:
        start = date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + rng.randrange(700))
        end = start.fromordinal(start.toordinal() + rng.randrange(400))
        validity = rng.choice(
            [{}, {}, {"valid_from": start}, {"valid_to": end}, {"valid_from": start, "valid_to": end}]
        )
        return {**hours(), **validity, "closed_on_holidays": rng.random() < 0.7}

    for mask in range(1, 1 << 7):
        yield ScheduleIn(freq="WEEKLY", byday=[w for i, w in enumerate(WEEKDAYS) if mask >> i & 1], **more())
    ordinals = [1, 2, 3, 4, 5, -1]
    for _ in range(3000):
        every = [w for w in WEEKDAYS if rng.random() < 0.15]
        nth = [f"{n}{w}" for w in WEEKDAYS if rng.random() < 0.4 for n in ordinals if rng.random() < 0.3]
        days = [d for d in [*range(1, 32), -1] if rng.random() < 0.08]
        if every or nth or days:
            yield ScheduleIn(freq="MONTHLY", byday=every + nth, bymonthday=days, **more())


def test_the_generator_covers_every_form() -> None:
    schedules = list(generated())
    byday = [t for s in schedules for t in s.byday]
    assert len(schedules) > 3000
    assert {t[:-2] for t in byday} == {"", "1", "2", "3", "4", "5", "-1"}
    assert any(s.bymonthday and s.byday for s in schedules)
    assert any(-1 in s.bymonthday for s in schedules)
    assert any(s.freq == "MONTHLY" and s.byday and all(len(t) == 2 for t in s.byday) for s in schedules)
    assert {s.closed_on_holidays for s in schedules} == {True, False}
    assert any(s.valid_from and not s.valid_to for s in schedules)


def test_what_is_written_reads_back_as_the_same_schedule() -> None:
    for schedule in generated():
        text = format_schedule(schedule)
        assert parse_schedules(text) == [schedule], text


def test_several_rules_read_back_as_the_same_list() -> None:
    schedules = list(generated())
    rng = random.Random(7)
    for _ in range(500):
        chosen = rng.sample(schedules, rng.randint(1, 5))
        assert parse_schedules(format_schedules(chosen)) == chosen


def test_writing_does_not_depend_on_the_order_of_the_days() -> None:
    rng = random.Random(11)
    for schedule in generated():
        shuffled = rng.sample(schedule.byday, len(schedule.byday))
        assert format_schedule(schedule.model_copy(update={"byday": shuffled})) == format_schedule(schedule)


def test_a_cp932_round_trip_of_the_text_reads_the_same() -> None:
    """A Shift_JIS export turns 〜 into ～; what Excel gives back still reads as it was written."""
    for schedule in generated():
        text = format_schedule(schedule)
        assert parse_schedules(text.encode("cp932").decode("cp932")) == [schedule]


# --- rules a file leaves as they were --------------------------------------------------------------


def test_rules_written_as_stored_keep_what_the_notation_does_not_carry() -> None:
    stored = [
        weekly(["FR", "MO"], (8, 30, 17, 15), description="受付は17:00まで"),
        monthly(["2SA"], hours=(9, 0, 12, 0), description="予約制"),
    ]
    read = parse_schedules(format_schedules(stored))
    assert read != stored  # the descriptions are not in the text, and the days are in order

    assert as_stored(stored, read) == stored
    edited = parse_schedules("月・金 8:30-17:15／第2・第4土 9:00-12:00")
    assert as_stored(stored, edited) == [stored[0], edited[1]]
    assert as_stored(stored, []) == []
