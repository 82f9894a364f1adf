"""支援会議 (Social Welfare Act Art. 106-6): what a record must satisfy, and who is shown its material.
Plain functions.

Who sees the material: a member person (named in the record for a member organisation, by their
token's subject) who has accepted the statutory duty of confidentiality for this meeting. A
member organisation's other staff are not member persons (the municipality names who attends, per
case), except on records made before member persons were kept: there an organisation names nobody,
and any of its staff may accept and so become a member person. Non-members never reach the record
at all (404, through the record's reach criteria).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from shared.errors import DomainError, FieldProblem, InvalidInput, Text

TAX_NEEDS_CONSENT = Text(
    "税情報は、本人の同意がなければ支援会議でも共有できません（地方税法第22条）。"
    "同意を得た場合は tax_consent_id にその同意の ID を記録してください。",
    "Tax information is not shared without the person's consent, not even in a support meeting "
    "(Local Tax Act Art. 22). With consent, give its id as tax_consent_id.",
)


@dataclass(frozen=True)
class ConsentFacts:
    """What coordination knows of a consent (from intake's events)."""

    tenant_id: str
    consultation_id: str
    data_classes: Sequence[str] | None  # None: only its withdrawal has arrived so far
    purposes: Sequence[str] | None
    # Who the person agreed may receive it; empty: the agencies the support needs (national form).
    organisations: Sequence[str] | None
    valid_from: datetime | None
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class PersonFacts:
    """A person attending for a member organisation, known by their token's subject."""

    organisation_id: str
    subject: str
    name: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class MeetingFacts:
    tenant_id: str
    convened_by: str
    recorded_by: str  # the recording officer's subject (of the convening organisation)
    persons: Sequence[PersonFacts]  # as listed, in `members`
    held_on: date
    consultation_id: str | None
    tax_information: str | None
    tax_consent_id: str | None
    # The organisations the records name, by field: information_shared[0].organisation_id, ...
    named: Sequence[tuple[str, str]] = ()

    @property
    def members(self) -> list[str]:
        """The member organisations: those of the persons listed, and the convener."""
        return list(dict.fromkeys([*(p.organisation_id for p in self.persons), self.convened_by]))


def check_meeting(
    meeting: MeetingFacts,
    *,
    today: date,
    now: datetime,
    member_tenants: Mapping[str, str],
    tax_consent: ConsentFacts | None,
) -> None:
    """`today` is the date in Japan; `member_tenants` maps the known organisations among the members
    to their municipality; `tax_consent` is what is known of `tax_consent_id` (None: nothing)."""
    problems = [
        *_member_problems(meeting, member_tenants),
        *_person_problems(meeting),
        *_record_problems(meeting),
        *_tax_problems(meeting, tax_consent, now),
    ]
    if meeting.held_on > today:
        problems.append(
            FieldProblem(
                "held_on",
                Text(
                    "開催日が未来です。支援会議の記録は開催後に作成してください。",
                    "The meeting's date is in the future: record a meeting once it has been held.",
                ),
                "in_future",
            )
        )
    if problems:
        raise InvalidInput(fields=problems)


def _member_problems(meeting: MeetingFacts, member_tenants: Mapping[str, str]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if len(meeting.members) < 2:
        problems.append(
            FieldProblem(
                "members",
                Text(
                    "構成員は招集する自治体を含めて2機関以上です。",
                    "A meeting has at least two member organisations, the convener included.",
                ),
                "too_few",
            )
        )
    for index, person in enumerate(meeting.persons):
        member = person.organisation_id
        if member == meeting.convened_by:
            continue  # the caller's own organisation, vouched for by its token
        tenant = member_tenants.get(member)
        field = f"members[{index}].organisation_id"
        if tenant is None:
            problems.append(
                FieldProblem(
                    field,
                    Text(
                        f"組織 {member} は社会資源台帳に登録されていません。",
                        f"No organisation {member} is listed in the resource directory.",
                    ),
                    "unknown_organisation",
                )
            )
        elif tenant != meeting.tenant_id:
            problems.append(
                FieldProblem(
                    field,
                    Text(
                        f"組織 {member} は他の自治体の組織です。支援会議の構成員は自治体内の組織です。",
                        f"{member} belongs to another municipality; members are the municipality's own.",
                    ),
                    "other_municipality",
                )
            )
    return problems


def _person_problems(meeting: MeetingFacts) -> list[FieldProblem]:
    """Each person once; the recording officer, if listed, for the convening organisation."""
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for index, person in enumerate(meeting.persons):
        field = f"members[{index}].subject"
        if person.subject in seen:
            problems.append(
                FieldProblem(field, Text("同じ職員が重複しています。", "The same person twice."), "duplicate")
            )
        seen.add(person.subject)
        if person.subject == meeting.recorded_by and person.organisation_id != meeting.convened_by:
            problems.append(
                FieldProblem(
                    field,
                    Text(
                        "記録する職員は招集する自治体の構成員として記載してください。",
                        "The recording officer attends for the convening organisation.",
                    ),
                    "recorder_of_other_organisation",
                )
            )
    return problems


def _record_problems(meeting: MeetingFacts) -> list[FieldProblem]:
    """Information, watching and emergency responses are by the meeting's member organisations."""
    members = set(meeting.members)
    return [
        FieldProblem(
            field,
            Text(
                f"組織 {organisation} はこの支援会議の構成員ではありません。",
                f"{organisation} is not a member organisation of this meeting.",
            ),
            "not_a_member",
        )
        for field, organisation in meeting.named
        if organisation not in members
    ]


def _tax_problems(meeting: MeetingFacts, consent: ConsentFacts | None, now: datetime) -> list[FieldProblem]:
    if meeting.tax_consent_id is None:
        if meeting.tax_information:
            return [FieldProblem("tax_information", TAX_NEEDS_CONSENT, "tax_without_consent")]
        return []
    if meeting.consultation_id is None:
        return [
            FieldProblem(
                "consultation_id",
                Text(
                    "税情報の同意を記録するときは、その本人の相談（consultation_id）を指定してください。",
                    "With a tax consent, give the consultation of the person it is theirs (consultation_id).",
                ),
                "required_with_tax_consent",
            )
        ]
    refusal = _tax_consent_refusal(meeting, consent, now)
    if refusal is not None:
        return [FieldProblem("tax_consent_id", refusal[0], refusal[1])]
    assert consent is not None
    return _members_outside_consent(meeting, consent)


def _members_outside_consent(meeting: MeetingFacts, consent: ConsentFacts) -> list[FieldProblem]:
    """A consent naming organisations lets the tax information go to those only (the convening
    municipality holds it already)."""
    named = set(consent.organisations or ())
    if not named:
        return []
    return [
        FieldProblem(
            f"members[{index}].organisation_id",
            Text(
                f"本人の同意は {person.organisation_id} への税情報の提供を含んでいません。",
                f"The person's consent does not let tax information go to {person.organisation_id}.",
            ),
            "not_in_consent",
        )
        for index, person in enumerate(meeting.persons)
        if person.organisation_id != meeting.convened_by and person.organisation_id not in named
    ]


def _tax_consent_refusal(
    meeting: MeetingFacts, consent: ConsentFacts | None, now: datetime
) -> tuple[Text, str] | None:
    if (
        consent is None
        or consent.tenant_id != meeting.tenant_id
        or consent.consultation_id != meeting.consultation_id
        or consent.data_classes is None
    ):
        return (
            Text(
                "この本人の同意として記録されたものではありません。",
                "No consent of this person has that id.",
            ),
            "unknown_consent",
        )
    if consent.withdrawn_at is not None:
        return (Text("この同意は撤回されています。", "That consent has been withdrawn."), "consent_withdrawn")
    if "support_meeting" not in (consent.purposes or ()):
        return (
            Text(
                "この同意は支援会議での共有（support_meeting）を目的に含んでいません。",
                "That consent was not given for sharing in a support meeting (purpose `support_meeting`).",
            ),
            "consent_not_for_support_meeting",
        )
    if "tax" not in consent.data_classes:
        return (
            Text(
                "この同意は税情報（tax）の提供を含んでいません。",
                "That consent does not name tax information (the `tax` data class).",
            ),
            "consent_without_tax",
        )
    if consent.valid_from is not None and consent.valid_from > now:
        return (
            Text("この同意はまだ有効になっていません。", "That consent is not valid yet."),
            "consent_not_yet_valid",
        )
    return None


# --- who is shown the material -------------------------------------------------------------------


class ConfidentialityNotAccepted(DomainError):
    slug = "support-meeting-confidentiality-not-accepted"
    status = 403
    title = Text(
        "支援会議の資料は、守秘義務（社会福祉法第106条の6）を受諾した構成員にのみ示されます。",
        "Support-meeting material is shown only to members who have accepted the duty of "
        "confidentiality (Social Welfare Act Art. 106-6).",
    )


class NotAMemberPerson(DomainError):
    slug = "support-meeting-not-a-member-person"
    status = 403
    title = Text(
        "この支援会議の構成員として記載された職員ではありません。",
        "You are not named as a member person of this support meeting.",
    )


def may_accept(
    persons: Sequence[PersonFacts], organisations: Sequence[str], *, organisation_id: str, subject: str
) -> None:
    """A member person may accept; so may any staff of a member organisation the record names no
    one for (a record made before member persons were kept). Raises NotAMemberPerson otherwise."""
    if organisation_id not in organisations:
        raise NotAMemberPerson()
    named = [p for p in persons if p.subject == subject]
    if named:
        if named[0].organisation_id != organisation_id:
            raise NotAMemberPerson()
        return
    if any(p.organisation_id == organisation_id for p in persons):
        raise NotAMemberPerson(
            Text(
                "あなたの機関の出席者はこの記録に記載されていて、あなたは含まれていません。",
                "Your organisation's attendees are named in this record, and you are not among them.",
            )
        )


def check_material_shown(
    persons: Sequence[PersonFacts],
    organisations: Sequence[str],
    accepted: Mapping[str, str],
    *,
    organisation_id: str,
    subject: str,
    accept_at: str,
) -> None:
    """`accepted` maps each subject who accepted the duty to the organisation they accepted for.
    Raises NotAMemberPerson or ConfidentialityNotAccepted (naming `accept_at`, where to accept)."""
    may_accept(persons, organisations, organisation_id=organisation_id, subject=subject)
    if accepted.get(subject) != organisation_id:
        raise ConfidentialityNotAccepted(
            Text(
                f"守秘義務を受諾してから閲覧してください（POST {accept_at}）。",
                f"Accept the duty of confidentiality first (POST {accept_at}).",
            ),
            extra={"accept_at": accept_at},
        )


def material_shown(
    persons: Sequence[PersonFacts],
    organisations: Sequence[str],
    accepted: Mapping[str, str],
    *,
    organisation_id: str,
    subject: str,
) -> bool:
    try:
        check_material_shown(
            persons, organisations, accepted, organisation_id=organisation_id, subject=subject, accept_at=""
        )
    except (NotAMemberPerson, ConfidentialityNotAccepted):
        return False
    return True
