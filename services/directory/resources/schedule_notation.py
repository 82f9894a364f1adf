"""開所日時 in a notation municipal staff can type in an Excel cell: plain functions, no database.

    月〜金 8:30-17:15／第2土 9:00-12:00
    第1・第3水曜 10:00-12:00
    毎月15日 10:00-11:30（祝日も開所）
    2026-04-01〜2027-03-31: 毎月末日

The text is read after NFKC, so full-width digits, colons, brackets, ～ and ／ are their ASCII forms.

    text     = rule { SEP rule }          SEP: ／ / ； ; or a line break; no empty rule in between
    rule     = [validity] days [hours] ["（祝日も開所）"]
    validity = [date] RANGE [date] ":"    at least one date, 2026-04-01 (or 2026/4/1); an open end blank
    days     = ["毎月"] item { "・" item }  (、 and , also separate items; spaces are ignored)
    item     = weekdays                   every week: 月〜金, 土日, 月, 平日, 毎日
             | "毎週" weekdays             every week, in a monthly rule: 毎週月・第1水曜
             | ordinal weekdays            第1水曜, 第2土, 最終金曜, 3水 (the third Wednesday)
             | number "日" | "末日"        days of the month: 15日, 末日 (also 月末, 最終日)
             | ordinal | number           waits for the next item: 第1・第3水曜, 1・15日
    ordinal  = "第" 1..5 | "最終"
    weekdays = day { day | RANGE day }    a day is one of 月火水木金土日, optionally + 曜 or 曜日
    hours    = time RANGE time            8:30-17:15, 9時-12時半; no hours = all day
    RANGE    = 〜 ～ ~ - ー − ‐ – — ―

A rule with an ordinal or a day of the month, or starting with 毎月, is MONTHLY, else WEEKLY. In a
monthly rule an every-week weekday needs 毎週 (「第1水・金」 would leave open whether every Friday or
the first one is meant). Holidays and the year end (12/29–1/3) are closed unless the rule ends in
（祝日も開所）.

`format_schedules` writes what `parse_schedules` reads back to the same schedules: weekdays in order
Mon..Sun, runs of three or more as 〜 ranges. Not carried: a schedule's `description` (free text
belongs in 日程) and seconds of the hours; `as_stored` keeps them for rules a file leaves as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal

from pydantic import ValidationError

from services.directory.resources.schedules import LAST, WEEKDAY_NAMES_JA, WEEKDAYS, parse_byday
from services.directory.resources.schemas import ScheduleIn
from shared.errors import BilingualValueError, Text, validation_message

RULE_SEPARATOR = "／"
OPEN_ON_HOLIDAYS = "祝日も開所"

_RANGE = "[〜~ー−‐–—―-]"
_SEPARATORS = re.compile(r"\r\n|[/;\n\r]")  # after NFKC: ／ → /, ； → ;
_SLASHED_DATE = re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")
_DATE = r"\d{4}-\d{1,2}-\d{1,2}"
_VALIDITY = re.compile(rf"^(?P<start>{_DATE})?\s*{_RANGE}\s*(?P<end>{_DATE})?\s*:")
_NOTE = re.compile(r"\(([^()]*)\)\s*$")
_TIME = r"\d{1,2}(?::\d{2}|時(?:\d{1,2}分|半)?)"
_TIME_PARTS = re.compile(r"(\d{1,2})(?::(\d{2})|時(?:(\d{1,2})分|(半))?)")
_HOURS_START = re.compile(r"(?<!\d)\d{1,2}\s*(?::|時)")
_HOURS = re.compile(rf"(?P<opens>{_TIME})\s*{_RANGE}\s*(?P<closes>{_TIME})")
_MONTH_DAY = re.compile(r"(\d{1,2})日|(末日|月末|最終日)")
_WAITING = re.compile(r"第?\d{1,2}|最終")
_WEEKDAY_ITEM = re.compile(r"(?P<every>毎週)?(?P<ordinal>第?\d{1,2}|最終)?(?P<days>.*)")
_SHORTHANDS = {"平日": range(5), "毎日": range(7)}

_DAYS_EXAMPLE = Text(
    "曜日か日付を書いてください（例: 月〜金、第2土、毎月15日）。",
    "Give weekdays or days of the month (e.g. 月〜金, 第2土, 毎月15日).",
)


class ScheduleNotationError(BilingualValueError):
    """A notation that cannot be read; `part` is the piece of the text that is wrong."""

    def __init__(self, ja: str, en: str, *, rule: int, part: str) -> None:
        super().__init__(ja, en)
        self.rule = rule  # 1-based
        self.part = part


class _Problem(Exception):
    """Raised inside one rule; parse_schedules adds which rule it is."""

    def __init__(self, part: str, ja: str, en: str) -> None:
        super().__init__(en)
        self.part = part
        self.text = Text(ja, en)


# --- reading -------------------------------------------------------------------------------------


def parse_schedules(text: str | None) -> list[ScheduleIn]:
    """The schedules a notation describes; blank text is none. Raises ScheduleNotationError."""
    normalized = unicodedata.normalize("NFKC", text or "").strip()
    # Excel shows dates as 2026/4/1; its slashes are not rule separators.
    normalized = _SLASHED_DATE.sub(r"\1-\2-\3", normalized)
    if not normalized:
        return []
    rules = [rule.strip() for rule in _SEPARATORS.split(normalized)]
    schedules = []
    for number, rule in enumerate(rules, start=1):
        try:
            if not rule:
                raise _Problem(
                    "",
                    "決まりが空です（区切りの ／ や改行が続いているか、先頭・末尾にあります）。",
                    "The rule is empty (two separators in a row, or one at the start or end).",
                )
            schedules.append(_read_rule(rule))
        except _Problem as problem:
            raise _explained(problem, rule, number, len(rules)) from None
    return schedules


def _explained(problem: _Problem, rule: str, number: int, count: int) -> ScheduleNotationError:
    where_ja = f"の{number}件目" if count > 1 else ""
    where_en = f", rule {number}" if count > 1 else ""
    if rule:
        where_ja += f"「{rule}」"
        where_en += f" '{rule}'"
    if problem.part and problem.part != rule:
        where_ja += f"の「{problem.part}」"
        where_en += f" at '{problem.part}'"
    return ScheduleNotationError(
        f"開所日時{where_ja}: {problem.text.ja}",
        f"Opening hours{where_en}: {problem.text.en}",
        rule=number,
        part=problem.part or rule,
    )


def _read_rule(rule: str) -> ScheduleIn:
    rest, open_on_holidays = _take_note(rule)
    valid_from, valid_to, rest = _take_validity(rest)
    hours = _HOURS_START.search(rest)
    days_text, hours_text = (rest[: hours.start()], rest[hours.start() :]) if hours else (rest, "")
    opens_at, closes_at = _read_hours(hours_text.strip()) if hours_text else (None, None)
    days = _read_days(days_text)
    try:
        return ScheduleIn(
            freq=days.freq,
            byday=days.byday(),
            bymonthday=sorted(set(days.month_days)),
            opens_at=opens_at,
            closes_at=closes_at,
            valid_from=valid_from,
            valid_to=valid_to,
            closed_on_holidays=not open_on_holidays,
        )
    except ValidationError as exc:  # checked above already; kept so nothing escapes unexplained
        message = validation_message(exc.errors()[0])
        raise _Problem(rule, message.ja, message.en) from None


def _take_note(rule: str) -> tuple[str, bool]:
    """The rule without its closing （…）, and whether that says it opens on holidays too."""
    note = _NOTE.search(rule)
    rest = rule[: note.start()].rstrip() if note else rule
    if "(" in rest or ")" in rest:
        raise _Problem(
            rest[rest.find("(") if "(" in rest else rest.find(")") :],
            f"（{OPEN_ON_HOLIDAYS}）は決まりの最後に書きます"
            f"（例: 月〜金 9:00-17:00（{OPEN_ON_HOLIDAYS}））。",
            f"({OPEN_ON_HOLIDAYS}) goes at the end of the rule (e.g. 月〜金 9:00-17:00({OPEN_ON_HOLIDAYS})).",
        )
    if note is None:
        return rule, False
    if re.sub(r"\s", "", note[1]) != OPEN_ON_HOLIDAYS:
        raise _Problem(
            note[0].strip(),
            f"括弧に書けるのは（{OPEN_ON_HOLIDAYS}）だけです。説明は別の欄（日程）に書いてください。",
            f"Only ({OPEN_ON_HOLIDAYS}: open on holidays too) may stand in brackets; "
            "put remarks in the free-text schedule (日程).",
        )
    return rest, True


def _take_validity(rule: str) -> tuple[date | None, date | None, str]:
    found = _VALIDITY.match(rule)
    if found is None or not (found["start"] or found["end"]):
        if re.match(r"\d{4}-", rule):
            raise _Problem(
                rule.split(":")[0],
                "有効期間は 2026-04-01〜2027-03-31: のように、「:」で曜日の前に書きます。",
                "Write the validity as 2026-04-01〜2027-03-31: before the days.",
            )
        return None, None, rule
    start, end = _read_date(found["start"]), _read_date(found["end"])
    if start is not None and end is not None and end < start:
        raise _Problem(
            found[0], "有効期間の終わりが始まりより前です。", "The validity ends before it starts."
        )
    return start, end, rule[found.end() :]


def _read_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date(*(int(piece) for piece in text.split("-")))
    except ValueError:
        raise _Problem(text, "存在しない日付です。", "No such date.") from None


def _read_hours(text: str) -> tuple[time, time]:
    hours = _HOURS.fullmatch(text)
    if hours is None:
        raise _Problem(
            text,
            "時間は 8:30-17:15 のように「開始-終了」で書きます。終日なら時間は書きません。",
            "Write hours as opening-closing, e.g. 8:30-17:15; leave them out for the whole day.",
        )
    opens_at, closes_at = _read_time(hours["opens"]), _read_time(hours["closes"])
    if closes_at <= opens_at:
        raise _Problem(
            text,
            "終了時刻は開始時刻より後にします（日付をまたぐ時間は書けません）。",
            "Closing must be after opening (hours past midnight cannot be written).",
        )
    return opens_at, closes_at


def _read_time(text: str) -> time:
    parts = _TIME_PARTS.fullmatch(text)
    assert parts is not None  # _HOURS matched it
    hour = int(parts[1])
    minute = 30 if parts[4] else int(parts[2] or parts[3] or 0)
    if hour > 23 or minute > 59:
        raise _Problem(
            text,
            "時刻は 0:00〜23:59 で書きます。終日なら時間は書きません。",
            "Times run from 0:00 to 23:59; leave the hours out for the whole day.",
        )
    return time(hour, minute)


@dataclass
class _Days:
    """What the days part of a rule says, before it becomes a ScheduleIn."""

    monthly: bool  # written with 毎月
    weekly: list[int] = field(default_factory=list)  # every-week weekdays, 0 = Monday
    loose: list[str] = field(default_factory=list)  # every-week items written without 毎週
    nth: list[tuple[int, int]] = field(default_factory=list)  # (1..5 or LAST, weekday)
    month_days: list[int] = field(default_factory=list)  # 1..31 or LAST

    @property
    def freq(self) -> Literal["WEEKLY", "MONTHLY"]:
        return "MONTHLY" if self.monthly or self.nth or self.month_days else "WEEKLY"

    def byday(self) -> list[str]:
        weekly = [WEEKDAYS[d] for d in sorted(set(self.weekly))]
        return weekly + [f"{n}{WEEKDAYS[d]}" for n, d in sorted(set(self.nth), key=_nth_order)]


def _nth_order(nth: tuple[int, int]) -> tuple[int, int]:
    """By weekday, then 第1..第5, then 最終."""
    ordinal, weekday = nth
    return weekday, 6 if ordinal == LAST else ordinal


def _read_days(text: str) -> _Days:
    compact = re.sub(r"\s+", "", text)
    days = _Days(monthly=compact.startswith("毎月"))
    compact = compact.removeprefix("毎月")
    if not compact:
        raise _Problem(text.strip(), _DAYS_EXAMPLE.ja, _DAYS_EXAMPLE.en)
    waiting: list[str] = []  # ordinals and numbers waiting for the item they belong to: 第1・第3水曜
    every = False  # after 毎週, weekdays are every week until an ordinal or a day of the month
    for item in re.split(r"[・、,]", compact):
        if not item:
            raise _Problem(compact, "「・」が続いています。", "Two item separators (・) in a row.")
        if _MONTH_DAY.fullmatch(item):
            days.month_days.extend(_month_days(waiting, item))
            waiting, every = [], False
        elif _WAITING.fullmatch(item):
            waiting.append(item)
        else:
            every = _read_weekday_item(item, waiting, every, days)
            waiting = []
    if waiting:
        raise _Problem(
            waiting[-1],
            "この後に曜日か「日」が必要です（例: 第1・第3水曜、1・15日）。",
            "A weekday or 日 must follow (e.g. 第1・第3水曜, 1・15日).",
        )
    if days.freq == "MONTHLY" and days.loose:
        raise _Problem(
            days.loose[0],
            "第n曜日や日付と並べるときは、毎週の曜日に「毎週」を付けます（例: 毎週金・第1水曜）。"
            "第n週なら 第1金 のように書きます。",
            "Beside n-th weekdays or days of the month, write 毎週 before every-week weekdays "
            "(e.g. 毎週金・第1水曜), or an ordinal (第1金).",
        )
    return days


def _month_days(waiting: list[str], item: str) -> list[int]:
    """15日 (with the numbers before it: 1・15日), or 末日."""
    found = _MONTH_DAY.fullmatch(item)
    assert found is not None
    for given in waiting:
        if not given.isdigit():
            raise _Problem(
                given,
                "第n・最終 は曜日に付けます（第2土）。日付は 1・15日 のように書きます。",
                "第n and 最終 go with a weekday (第2土); days of the month are written 1・15日.",
            )
    numbers = [*waiting, found[1]] if found[1] else waiting
    for number in numbers:
        if not 1 <= int(number) <= 31:
            raise _Problem(
                f"{number}日", "日付は 1〜31日 か 末日 です。", "Days of the month are 1 to 31, or 末日."
            )
    return [int(n) for n in numbers] + ([LAST] if found[2] else [])


def _read_weekday_item(item: str, waiting: list[str], every: bool, days: _Days) -> bool:
    """Note one weekday item in `days`; whether later weekdays are still every week (after 毎週)."""
    parts = _WEEKDAY_ITEM.fullmatch(item)
    assert parts is not None  # the last group takes anything
    weekdays, shorthand = _read_weekdays(parts["days"], item)
    ordinals = [*waiting, parts["ordinal"]] if parts["ordinal"] else waiting
    if not ordinals:
        days.weekly.extend(weekdays)
        every = every or bool(parts["every"])
        if not (every or shorthand):
            days.loose.append(item)
        return every
    if parts["every"] or shorthand:
        raise _Problem(
            item, "毎週・平日・毎日 に 第n は付けられません。", "毎週, 平日 and 毎日 take no ordinal."
        )
    days.nth.extend((_ordinal(o), weekday) for o in ordinals for weekday in weekdays)
    return False


def _ordinal(text: str) -> int:
    if text == "最終":
        return LAST
    number = int(text.removeprefix("第"))
    if not 1 <= number <= 5:
        raise _Problem(
            text,
            "第何週は 第1〜第5 か 最終 です。",
            "The week of the month is 第1 to 第5, or 最終 (the last).",
        )
    return number


def _read_weekdays(text: str, item: str) -> tuple[list[int], bool]:
    """月〜金, 土日, 水曜 → weekday numbers; whether it was 平日 or 毎日."""
    plain = re.sub(r"曜日?", "", text)
    if plain in _SHORTHANDS:
        return list(_SHORTHANDS[plain]), True
    if not plain:
        raise _Problem(item, _DAYS_EXAMPLE.ja, _DAYS_EXAMPLE.en)
    weekdays: list[int] = []
    at = 0
    while at < len(plain):
        first = _weekday(plain, at, item)
        if at + 1 < len(plain) and re.fullmatch(_RANGE, plain[at + 1]):
            if at + 2 >= len(plain):
                raise _Problem(
                    item, "範囲の終わりの曜日がありません（例: 月〜金）。", "The range has no end."
                )
            last = _weekday(plain, at + 2, item)
            if last < first:
                raise _Problem(
                    plain[at : at + 3],
                    "曜日の範囲は月曜から日曜の向きに書きます（例: 月〜金）。"
                    "土曜から月曜なら 土・日・月 です。",
                    "Weekday ranges run from Monday towards Sunday (e.g. 月〜金); "
                    "write 土・日・月 for Saturday to Monday.",
                )
            weekdays.extend(range(first, last + 1))
            at += 3
        else:
            weekdays.append(first)
            at += 1
    return weekdays, False


def _weekday(text: str, at: int, item: str) -> int:
    if text[at] in WEEKDAY_NAMES_JA:
        return WEEKDAY_NAMES_JA.index(text[at])
    unknown = re.match(r"[^月火水木金土日]+", text[at:])
    assert unknown is not None
    raise _Problem(
        unknown[0],
        "曜日として読めません（月・火・水・木・金・土・日、平日、毎日、第n・最終、毎月…日）。",
        "Not a weekday (月 火 水 木 金 土 日, 平日, 毎日, 第n or 最終 before one, or 毎月…日).",
    )


# --- writing -------------------------------------------------------------------------------------


def format_schedules(schedules: Iterable[ScheduleIn]) -> str:
    """The notation of the schedules; empty when there are none."""
    return RULE_SEPARATOR.join(format_schedule(s) for s in schedules)


def format_schedule(schedule: ScheduleIn) -> str:
    text = _format_days(schedule)
    if schedule.opens_at is not None and schedule.closes_at is not None:
        text += f" {_format_time(schedule.opens_at)}-{_format_time(schedule.closes_at)}"
    if not schedule.closed_on_holidays:
        text += f"（{OPEN_ON_HOLIDAYS}）"
    if schedule.valid_from is not None or schedule.valid_to is not None:
        text = f"{schedule.valid_from or ''}〜{schedule.valid_to or ''}: {text}"
    return text


def _format_time(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def _format_days(schedule: ScheduleIn) -> str:
    weekly: set[int] = set()
    ordinals: dict[int, set[int]] = {}  # weekday -> its ordinals
    for token in schedule.byday:
        nth, weekday = parse_byday(token)
        if nth is None:
            weekly.add(weekday)
        else:
            ordinals.setdefault(weekday, set()).add(nth)
    parts = []
    if weekly:
        every = "毎週" if schedule.freq == "MONTHLY" else ""
        parts.append(every + _weekday_list(sorted(weekly), "・"))
    # Weekdays with the same ordinals share them: 第2・第4土日.
    groups: dict[tuple[int, ...], list[int]] = {}
    for weekday in sorted(ordinals):
        key = tuple(sorted(ordinals[weekday], key=lambda n: 6 if n == LAST else n))
        groups.setdefault(key, []).append(weekday)
    for key, weekdays in groups.items():
        names = ["最終" if n == LAST else f"第{n}" for n in key]
        parts.append("・".join(names) + _weekday_list(weekdays, ""))
    if schedule.bymonthday:
        parts.append(_month_day_list(schedule.bymonthday))
    monthly = "毎月" if schedule.freq == "MONTHLY" and not ordinals else ""
    return monthly + "・".join(parts)


def _weekday_list(weekdays: Sequence[int], joiner: str) -> str:
    """[0..4] → 月〜金; [0, 2, 4] → 月・水・金 (or 月水金 after an ordinal); [2] → 水曜."""
    if len(weekdays) == 1:
        return WEEKDAY_NAMES_JA[weekdays[0]] + "曜"
    runs: list[list[int]] = []
    for weekday in weekdays:
        if runs and runs[-1][-1] == weekday - 1:
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    names = []
    for run in runs:
        if len(run) >= 3:
            names.append(f"{WEEKDAY_NAMES_JA[run[0]]}〜{WEEKDAY_NAMES_JA[run[-1]]}")
        else:
            names.extend(WEEKDAY_NAMES_JA[d] for d in run)
    return joiner.join(names)


def _month_day_list(month_days: Sequence[int]) -> str:
    """[1, 15] → 1・15日; [-1] → 末日; [-1, 15] → 15日・末日."""
    numbers = sorted(d for d in month_days if d != LAST)
    parts = ["・".join(map(str, numbers)) + "日"] if numbers else []
    if LAST in month_days:
        parts.append("末日")
    return "・".join(parts)


def as_stored(stored: Sequence[ScheduleIn], read: Sequence[ScheduleIn]) -> list[ScheduleIn]:
    """The rules read from a notation, each one that the notation writes exactly like a stored rule
    taken as that stored rule: a file that leaves a rule as exported keeps what the notation does
    not carry (its description, seconds, the order of its days), so nothing changes."""
    unused = list(stored)
    kept = []
    for schedule in read:
        written = format_schedule(schedule)
        same = next((s for s in unused if format_schedule(s) == written), None)
        if same is None:
            kept.append(schedule)
        else:
            unused.remove(same)
            kept.append(same)
    return kept
