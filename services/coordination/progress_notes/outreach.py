"""What outreach's reports become in the case's record (支援経過記録). No I/O.

`ContactLost`: each attempt a note of kind contact_attempt dated by the attempt, and the day the
person was last reached (if outreach ever reached them) a note that they were reached that day, so
the attempts before it do not count towards a suspension (see rules.attempts_since_contact).
`ContactResumed`: a note that the person was reached again.

Each note names the fact it records (`source_key`): an attempt by outreach's id of it, a day the
person was reached by the day. The same fact in another report, a redelivery or a re-publication
under a new envelope id gives the same key, which the case records once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.coordination.progress_notes.rules import NoteFacts, NoteKind
from shared.events.catalog import ContactLost, ContactMethod, ContactResumed

SOURCE = "outreach"
# recorded_by of the notes: the service that reported them, not a member of staff.
RECORDED_BY = "service:outreach"

METHODS: dict[ContactMethod, str] = {
    "visit": "訪問",
    "phone": "電話",
    "letter": "手紙",
    "neighbours": "近隣・民生委員への確認",
    "agencies": "関係機関への確認",
}


LAST_REACHED = "アウトリーチ: 最後に本人と連絡が取れた日（連絡途絶の報告による）"
REACHED_AGAIN = "アウトリーチ: 本人と再び連絡が取れた"


@dataclass(frozen=True)
class OutreachNote:
    source_key: str
    kind: NoteKind
    occurred_on: date
    summary: str

    def facts(self) -> NoteFacts:
        return NoteFacts(self.kind, self.occurred_on)


def _reached(day: date, summary: str) -> OutreachNote:
    return OutreachNote(f"{SOURCE}:reached:{day.isoformat()}", NoteKind.contact, day, summary)


def notes_of_contact_lost(event: ContactLost) -> list[OutreachNote]:
    notes = [
        OutreachNote(
            f"{SOURCE}:attempt:{a.attempt_id}",
            NoteKind.contact_attempt,
            a.attempted_on,
            f"アウトリーチ: {METHODS[a.method]}で連絡を試みたが本人に届かなかった"
            + (f"（{a.outcome.strip()}）" if a.outcome and a.outcome.strip() else ""),
        )
        for a in event.attempts
    ]
    if event.last_contact_on is not None:
        notes.append(_reached(event.last_contact_on, LAST_REACHED))
    return notes


def note_of_contact_resumed(event: ContactResumed) -> OutreachNote:
    return _reached(event.reached_on, REACHED_AGAIN)
