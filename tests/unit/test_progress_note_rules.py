"""Whether the record shows the person out of reach: contact attempts since they were last reached."""

from __future__ import annotations

from datetime import date

from services.coordination.progress_notes.rules import NoteFacts, NoteKind, attempts_since_contact

K = NoteKind


def notes(*entries: tuple[NoteKind, int]) -> list[NoteFacts]:
    return [NoteFacts(kind, date(2026, 11, day)) for kind, day in entries]


def test_attempts_count_from_the_last_day_the_person_was_reached() -> None:
    assert attempts_since_contact(notes((K.visit, 1), (K.contact_attempt, 5), (K.contact_attempt, 9))) == 2
    # Reached again after the attempts: they no longer show the person out of reach.
    assert attempts_since_contact(notes((K.contact_attempt, 5), (K.call, 10))) == 0


def test_never_reached_counts_every_attempt_and_other_notes_count_for_nothing() -> None:
    assert attempts_since_contact(notes((K.contact_attempt, 2), (K.information, 3), (K.meeting, 4))) == 1
    assert attempts_since_contact([]) == 0
    assert attempts_since_contact(notes((K.information, 3), (K.meeting, 4))) == 0


def test_an_attempt_on_the_day_of_the_last_contact_counts() -> None:
    assert attempts_since_contact(notes((K.contact, 7), (K.contact_attempt, 7))) == 1
