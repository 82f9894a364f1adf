"""Progress notes and what they show: whether the person has been out of reach. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class NoteKind(StrEnum):
    contact = "contact"  # the person was reached (面談・来所)
    visit = "visit"  # a home visit that met the person (訪問)
    call = "call"  # a call that reached the person (電話)
    contact_attempt = "contact_attempt"  # tried and did not reach them (不在・応答なし・関係者への確認)
    meeting = "meeting"  # a meeting about the case (ケース会議)
    information = "information"  # information received from an agency or a neighbour


REACHED = frozenset({NoteKind.contact, NoteKind.visit, NoteKind.call})


@dataclass(frozen=True)
class NoteFacts:
    kind: NoteKind
    occurred_on: date


def attempts_since_contact(notes: Iterable[NoteFacts]) -> int:
    """Contact attempts on or after the last day the person was reached (all of them if never)."""
    listed = list(notes)
    reached = [n.occurred_on for n in listed if n.kind in REACHED]
    last = max(reached) if reached else None
    return sum(
        1 for n in listed if n.kind == NoteKind.contact_attempt and (last is None or n.occurred_on >= last)
    )
