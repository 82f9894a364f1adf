"""関係機関 and what they may be shown: plain functions, no web or database code.

An organisation taking part in a case sees the person's data only on a legal basis, and each
disclosure records which one (APPI Art. 29 asks the provider to keep a record of what it provided,
to whom, and on what ground):

- **consent**: a consent of the person that stands (not withdrawn, in force) and covers the
  organisation — it names it, or names none (the national form's "the agencies the support needs");
  only the data classes it names are shown;
- **support meeting** (Social Welfare Act Art. 106-6): the organisation is a member of a support
  meeting the case is linked to — members are bound by the statutory duty of confidentiality;
- **emergency** (APPI Art. 27(1)(ii)): to protect the person's life or body when consent cannot be
  had, decided by a named person for a stated reason, for a short period, and reported to the
  municipality.

Consent comes first: the others are for when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.errors import FieldProblem, InvalidInput, Text

# A consent for any of these lets the case's data go to the organisations it covers (a consent for
# the support meeting only is the meeting's business, not the case's).
SHARING_PURPOSES = frozenset({"collaboration", "participation", "outreach"})
# What a disclosure on a basis other than consent may show: who the person is and how to reach them.
WITHOUT_CONSENT = frozenset({"identity", "contact"})
# An emergency disclosure is for the emergency: at most this long after it was decided.
EMERGENCY_LONGEST = timedelta(days=14)

_IDENTITY = ("name", "name_kana", "birth_date", "sex")
_CONTACT = ("address", "phone")


class LegalBasis(StrEnum):
    consent = "consent"
    support_meeting = "support_meeting"
    emergency = "emergency"


@dataclass(frozen=True)
class ConsentCover:
    consent_id: str
    purposes: Sequence[str] | None  # None: only the withdrawal is known so far
    data_classes: Sequence[str] | None
    organisations: Sequence[str] | None
    valid_from: datetime | None
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class EmergencyCover:
    sharing_id: str
    organisation_id: str
    decided_at: datetime
    until: date


@dataclass(frozen=True)
class Basis:
    """Why the organisation may be shown the person's data, and which data."""

    kind: LegalBasis
    reference: str  # the consent, the support meeting or the emergency sharing record
    data_classes: frozenset[str]


def consent_covers(consent: ConsentCover, organisation_id: str, now: datetime) -> bool:
    if consent.withdrawn_at is not None or consent.data_classes is None:
        return False
    if consent.valid_from is not None and consent.valid_from > now:
        return False
    if not SHARING_PURPOSES.intersection(consent.purposes or ()):
        return False
    named = consent.organisations or ()
    return not named or organisation_id in named


def basis_for(
    organisation_id: str,
    *,
    consents: Iterable[ConsentCover],
    meeting_members: Mapping[str, Iterable[str]],
    emergencies: Iterable[EmergencyCover],
    now: datetime,
    today: date,
) -> Basis | None:
    """The ground on which `organisation_id` may see the person's data now, or None.

    `meeting_members` maps each support meeting the case is linked to onto its member organisations.
    Of several consents the widest one is named (the most data classes, then the oldest id)."""
    covering = [c for c in consents if consent_covers(c, organisation_id, now)]
    if covering:
        best = max(covering, key=lambda c: (len(c.data_classes or ()), c.consent_id))
        return Basis(LegalBasis.consent, best.consent_id, frozenset(best.data_classes or ()))
    for meeting_id in sorted(meeting_members):
        if organisation_id in set(meeting_members[meeting_id]):
            return Basis(LegalBasis.support_meeting, meeting_id, WITHOUT_CONSENT)
    standing = [
        e
        for e in emergencies
        if e.organisation_id == organisation_id and e.decided_at <= now and today <= e.until
    ]
    if standing:
        latest = max(standing, key=lambda e: (e.until, e.sharing_id))
        return Basis(LegalBasis.emergency, latest.sharing_id, WITHOUT_CONSENT)
    return None


def shown_person(person: Mapping[str, Any] | None, data_classes: Iterable[str]) -> dict[str, Any] | None:
    """The person's fields the data classes let through (identity: name, reading, birth date, sex;
    contact: address and phone)."""
    if not person:
        return None
    classes = set(data_classes)
    keys = (_IDENTITY if "identity" in classes else ()) + (_CONTACT if "contact" in classes else ())
    shown = {key: person[key] for key in keys if person.get(key) is not None}
    return shown or None


# --- checks of what is recorded -----------------------------------------------------------------


@dataclass(frozen=True)
class PartyFacts:
    organisation_id: str
    from_on: date
    to_on: date | None


def check_party(party: PartyFacts, *, case_tenant: str, organisation_tenant: str | None) -> None:
    """`organisation_tenant` is the municipality the directory lists the organisation under (None:
    not listed)."""
    problems = [*organisation_problems(party.organisation_id, case_tenant, organisation_tenant)]
    if party.to_on is not None and party.to_on < party.from_on:
        problems.append(
            FieldProblem(
                "to_on",
                Text("終了日が開始日より前です。", "to_on is before from_on."),
                "before_start",
            )
        )
    if problems:
        raise InvalidInput(fields=problems)


def organisation_problems(
    organisation_id: str, case_tenant: str, organisation_tenant: str | None, field: str = "organisation_id"
) -> list[FieldProblem]:
    if organisation_tenant is None:
        return [
            FieldProblem(
                field,
                Text(
                    f"組織 {organisation_id} は社会資源台帳に登録されていません。",
                    f"No organisation {organisation_id} is listed in the resource directory.",
                ),
                "unknown_organisation",
            )
        ]
    if organisation_tenant != case_tenant:
        return [
            FieldProblem(
                field,
                Text(
                    f"組織 {organisation_id} は他の自治体の組織です。",
                    f"{organisation_id} belongs to another municipality.",
                ),
                "other_municipality",
            )
        ]
    return []


@dataclass(frozen=True)
class EmergencyFacts:
    organisation_id: str
    decided_at: datetime
    until: date


def check_emergency(
    emergency: EmergencyFacts, *, taking_part: Iterable[str], now: datetime, decided_day: date
) -> None:
    """`decided_day` is the decision's date in Japan; `taking_part` the organisations taking part in
    the case today (an emergency disclosure goes to one of them: record it as taking part first)."""
    problems: list[FieldProblem] = []
    if emergency.organisation_id not in set(taking_part):
        problems.append(
            FieldProblem(
                "organisation_id",
                Text(
                    "この組織はケースの関係機関ではありません。先に関係機関として登録してください。",
                    "The organisation does not take part in the case: record it as taking part first.",
                ),
                "not_taking_part",
            )
        )
    if emergency.decided_at > now:
        problems.append(
            FieldProblem(
                "decided_at",
                Text("判断した日時が未来です。", "decided_at is in the future."),
                "in_future",
            )
        )
    if emergency.until < decided_day:
        problems.append(
            FieldProblem(
                "until", Text("期限が判断日より前です。", "until is before the decision."), "before_start"
            )
        )
    elif emergency.until > decided_day + EMERGENCY_LONGEST:
        problems.append(
            FieldProblem(
                "until",
                Text(
                    f"緊急時の提供は判断から{EMERGENCY_LONGEST.days}日以内に限ります。"
                    "それより長く必要なら本人の同意か支援会議によってください。",
                    f"An emergency disclosure lasts at most {EMERGENCY_LONGEST.days} days from the "
                    "decision; beyond that, the person's consent or a support meeting is needed.",
                ),
                "too_long",
            )
        )
    if problems:
        raise InvalidInput(fields=problems)
