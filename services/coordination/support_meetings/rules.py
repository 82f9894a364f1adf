"""What a support-meeting record must satisfy. Plain functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from shared.errors import FieldProblem, InvalidInput, Text

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
class MeetingFacts:
    tenant_id: str
    convened_by: str
    members: Sequence[str]
    held_on: date
    consultation_id: str | None
    tax_information: str | None
    tax_consent_id: str | None


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
    if meeting.convened_by not in meeting.members:
        problems.append(
            FieldProblem(
                "members",
                Text(
                    "招集する自治体の組織を構成員に含めてください。",
                    "The convening municipality must be a member.",
                ),
                "convener_not_member",
            )
        )
    if len(set(meeting.members)) < 2:
        problems.append(
            FieldProblem(
                "members", Text("構成員は2機関以上です。", "A meeting has at least two members."), "too_few"
            )
        )
    for index, member in enumerate(meeting.members):
        tenant = member_tenants.get(member)
        if member == meeting.convened_by:
            continue  # the caller's own organisation, vouched for by its token
        if tenant is None:
            problems.append(
                FieldProblem(
                    f"members[{index}]",
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
                    f"members[{index}]",
                    Text(
                        f"組織 {member} は他の自治体の組織です。支援会議の構成員は自治体内の組織です。",
                        f"{member} belongs to another municipality; members are the municipality's own.",
                    ),
                    "other_municipality",
                )
            )
    return problems


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
            f"members[{index}]",
            Text(
                f"本人の同意は {member} への税情報の提供を含んでいません。",
                f"The person's consent does not let tax information go to {member}.",
            ),
            "not_in_consent",
        )
        for index, member in enumerate(meeting.members)
        if member != meeting.convened_by and member not in named
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
