"""Whether the record shows the person out of reach: contact attempts since they were last reached,
whether staff recorded them or outreach reported them (ContactLost, ContactResumed)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.coordination.progress_notes.outreach import (
    OutreachNote,
    note_of_contact_resumed,
    notes_of_contact_lost,
)
from services.coordination.progress_notes.rules import NoteFacts, NoteKind, attempts_since_contact
from shared.events.catalog import ContactAttempt, ContactLost, ContactResumed

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


# --- what outreach's ContactLost and ContactResumed become in the record ---------------------------


def contact_lost(*attempt_days: int, last_contact: int | None = None, report: str = "r-1") -> ContactLost:
    return ContactLost(
        report_id=report,
        case_id="case-1",
        item_id="item-1",
        tenant_id="016314",
        organisation_id="016314-shakyo",
        attempts=[
            ContactAttempt(attempt_id=f"a-{day}", attempted_on=date(2026, 11, day), method="visit")
            for day in attempt_days
        ],
        last_contact_on=date(2026, 11, last_contact) if last_contact is not None else None,
        reported_at=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
    )


def facts_of(*notes: OutreachNote) -> list[NoteFacts]:
    return [n.facts() for n in notes]


def test_each_attempt_of_a_contact_lost_is_a_contact_attempt_on_its_day() -> None:
    notes = notes_of_contact_lost(contact_lost(3, 10, 17))

    assert [(n.kind, n.occurred_on.day) for n in notes] == [(K.contact_attempt, d) for d in (3, 10, 17)]
    assert attempts_since_contact(facts_of(*notes)) == 3  # never reached: every attempt counts


def test_the_last_contact_it_states_is_a_day_the_person_was_reached() -> None:
    notes = notes_of_contact_lost(contact_lost(3, 10, 17, last_contact=8))

    assert (notes[-1].kind, notes[-1].occurred_on.day) == (K.contact, 8)
    assert attempts_since_contact(facts_of(*notes)) == 2  # the attempt of the 3rd came before it


def test_attempts_all_before_the_last_contact_show_nobody_out_of_reach() -> None:
    assert attempts_since_contact(facts_of(*notes_of_contact_lost(contact_lost(3, 10, last_contact=12)))) == 0
    # Nor when the contact is one the coordinator recorded after the attempts.
    recorded = [
        *facts_of(*notes_of_contact_lost(contact_lost(3, 10))),
        NoteFacts(K.visit, date(2026, 11, 20)),
    ]
    assert attempts_since_contact(recorded) == 0


def test_contact_resumed_after_the_attempts_ends_what_they_showed() -> None:
    resumed = ContactResumed(
        report_id="r-2",
        case_id="case-1",
        item_id="item-1",
        tenant_id="016314",
        organisation_id="016314-shakyo",
        reached_on=date(2026, 11, 20),
        reported_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
    )
    lost = notes_of_contact_lost(contact_lost(3, 10, 17))

    assert attempts_since_contact(facts_of(*lost, note_of_contact_resumed(resumed))) == 0
    # Attempts after the person was reached again count again.
    later = notes_of_contact_lost(contact_lost(24, report="r-3"))
    assert attempts_since_contact(facts_of(*lost, note_of_contact_resumed(resumed), *later)) == 1


def test_a_fact_keeps_its_key_in_every_report_that_states_it() -> None:
    first = notes_of_contact_lost(contact_lost(3, 10, last_contact=1, report="r-1"))
    later = notes_of_contact_lost(contact_lost(3, 10, 17, last_contact=1, report="r-9"))

    assert {n.source_key for n in first} < {n.source_key for n in later}
    assert len({n.source_key for n in later}) == len(later) == 4


def test_an_outcome_is_kept_in_the_summary_and_the_method_named_in_japanese() -> None:
    event = contact_lost(3)
    attempt = event.attempts[0].model_copy(
        update={"method": "neighbours", "outcome": "民生委員も最近見ていない"}
    )
    (note,) = notes_of_contact_lost(event.model_copy(update={"attempts": [attempt]}))

    assert "近隣・民生委員への確認" in note.summary
    assert "民生委員も最近見ていない" in note.summary
