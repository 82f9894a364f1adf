"""Rules a consultation must satisfy beyond its schema. Plain functions: no web, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.intake.consultations.concerns import Concern
from shared.errors import FieldProblem, InvalidInput, Text

# Clocks at windows drift; a few minutes ahead is not a consultation from the future.
CLOCK_SKEW = timedelta(minutes=5)
OLDEST_BIRTH_DATE = date(1900, 1, 1)


def check_concerns(concerns: list[Concern], main_concern: Concern) -> None:
    problems: list[FieldProblem] = []
    seen: set[Concern] = set()
    for index, concern in enumerate(concerns):
        if concern in seen:
            problems.append(
                FieldProblem(
                    f"concerns[{index}].code",
                    Text("同じ課題が重複しています。", "This concern is listed twice."),
                    "duplicate",
                )
            )
        seen.add(concern)
    if main_concern not in seen:
        problems.append(
            FieldProblem(
                "main_concern",
                Text(
                    "主な課題（◎）は課題の中から選んでください。",
                    "The main concern must be one of the concerns.",
                ),
                "not_in_concerns",
            )
        )
    if problems:
        raise InvalidInput(fields=problems)


def check_dates(
    *, received_at: datetime, birth_dates: dict[str, date | None], now: datetime, today: date
) -> None:
    """`birth_dates` maps a field path to a date; none may lie in the future or before 1900."""
    problems: list[FieldProblem] = []
    if received_at > now + CLOCK_SKEW:
        problems.append(
            FieldProblem(
                "received_at",
                Text("受付日時が未来になっています。", "The consultation cannot be received in the future."),
                "in_future",
            )
        )
    for path, born in birth_dates.items():
        if born is None:
            continue
        if born > today:
            problems.append(
                FieldProblem(
                    path, Text("生年月日が未来の日付です。", "The birth date is in the future."), "in_future"
                )
            )
        elif born < OLDEST_BIRTH_DATE:
            problems.append(
                FieldProblem(
                    path, Text("生年月日が古すぎます。", "The birth date is implausibly old."), "too_old"
                )
            )
    if problems:
        raise InvalidInput(fields=problems)
