"""What a support-meeting record must satisfy (支援会議, Social Welfare Act Art. 106-6; tax information
under Local Tax Act Art. 22), and who is shown its material, as plain rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.coordination.support_meetings.rules import (
    ConfidentialityNotAccepted,
    ConsentFacts,
    MeetingFacts,
    NotAMemberPerson,
    PersonFacts,
    check_material_shown,
    check_meeting,
    material_shown,
    may_accept,
)
from shared.errors import InvalidInput

TOWN = "016314-town"
SHAKYO = "016314-shakyo"
WILLWORK = "016314-willwork"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
KNOWN = {TOWN: "016314", SHAKYO: "016314", WILLWORK: "016314", "223417-town": "223417"}
OFFICER = "officer-otofuke"


def person(organisation_id: str, subject: str | None = None) -> PersonFacts:
    return PersonFacts(organisation_id=organisation_id, subject=subject or f"staff@{organisation_id}")


def meeting(**overrides: Any) -> MeetingFacts:
    values: dict[str, Any] = {
        "tenant_id": "016314",
        "convened_by": TOWN,
        "recorded_by": OFFICER,
        "persons": [person(TOWN, OFFICER), person(SHAKYO)],
        "held_on": TODAY,
        "consultation_id": None,
        "tax_information": None,
        "tax_consent_id": None,
    }
    values.update(overrides)
    return MeetingFacts(**values)


def consent(**overrides: Any) -> ConsentFacts:
    values: dict[str, Any] = {
        "tenant_id": "016314",
        "consultation_id": "c-1",
        "data_classes": ["identity", "tax"],
        "purposes": ["support_meeting"],
        "organisations": [],
        "valid_from": NOW - timedelta(days=1),
        "withdrawn_at": None,
    }
    values.update(overrides)
    return ConsentFacts(**values)


def problems(
    facts: MeetingFacts, tax_consent: ConsentFacts | None = None, today: date = TODAY
) -> dict[str, str]:
    try:
        check_meeting(facts, today=today, now=NOW, member_tenants=KNOWN, tax_consent=tax_consent)
    except InvalidInput as refused:
        return {p.field: p.code for p in refused.fields}
    return {}


def test_a_meeting_of_known_members_held_today_passes() -> None:
    assert problems(meeting()) == {}


def test_yesterday_passes_and_tomorrow_does_not() -> None:
    assert problems(meeting(held_on=TODAY - timedelta(days=1))) == {}
    assert problems(meeting(held_on=TODAY + timedelta(days=1))) == {"held_on": "in_future"}


@pytest.mark.parametrize(
    ("organisations", "expected"),
    [
        ([TOWN, "223417-town"], {"members[1].organisation_id": "other_municipality"}),
        ([TOWN, "016314-unknown-npo"], {"members[1].organisation_id": "unknown_organisation"}),
        (
            [TOWN, SHAKYO, "016314-unknown-npo", "223417-town"],
            {
                "members[2].organisation_id": "unknown_organisation",
                "members[3].organisation_id": "other_municipality",
            },
        ),
        ([TOWN], {"members": "too_few"}),
    ],
)
def test_members_must_be_the_municipalitys_known_organisations(
    organisations: list[str], expected: dict[str, str]
) -> None:
    persons = [person(org, f"p{i}") for i, org in enumerate(organisations)]
    assert problems(meeting(persons=persons)) == expected


def test_the_convener_is_a_member_organisation_without_being_listed() -> None:
    facts = meeting(persons=[person(SHAKYO), person(WILLWORK)])
    assert facts.members == [SHAKYO, WILLWORK, TOWN]
    assert problems(facts) == {}
    assert problems(meeting(persons=[person(SHAKYO)])) == {}  # the town and the council: two


def test_a_person_is_listed_once_and_the_recorder_for_the_convener() -> None:
    twice = meeting(persons=[person(TOWN, OFFICER), person(SHAKYO, "s"), person(WILLWORK, "s")])
    assert problems(twice) == {"members[2].subject": "duplicate"}
    elsewhere = meeting(persons=[person(SHAKYO, OFFICER), person(WILLWORK)])
    assert problems(elsewhere) == {"members[0].subject": "recorder_of_other_organisation"}


def test_the_records_name_member_organisations_only() -> None:
    facts = meeting(
        named=[
            ("information_shared[0].organisation_id", SHAKYO),
            ("watching[0].organisation_id", WILLWORK),
            ("emergency_responses[1].organisation_id", TOWN),
        ]
    )
    assert problems(facts) == {"watching[0].organisation_id": "not_a_member"}


def test_tax_information_without_a_consent_is_refused() -> None:
    assert problems(meeting(tax_information="住民税の滞納")) == {"tax_information": "tax_without_consent"}


def test_a_tax_consent_needs_the_persons_consultation() -> None:
    facts = meeting(tax_information="住民税の滞納", tax_consent_id="k-1")
    assert problems(facts, consent()) == {"consultation_id": "required_with_tax_consent"}


@pytest.mark.parametrize(
    ("known", "code"),
    [
        (None, "unknown_consent"),
        (consent(consultation_id="c-2"), "unknown_consent"),
        (consent(tenant_id="223417"), "unknown_consent"),
        (consent(data_classes=None), "unknown_consent"),  # only its withdrawal is known
        (consent(withdrawn_at=NOW - timedelta(hours=1)), "consent_withdrawn"),
        (consent(data_classes=["identity", "concerns"]), "consent_without_tax"),
        (consent(purposes=["collaboration"]), "consent_not_for_support_meeting"),
        (consent(purposes=None), "consent_not_for_support_meeting"),  # scope not known yet
        (consent(valid_from=NOW + timedelta(days=1)), "consent_not_yet_valid"),
    ],
)
def test_a_tax_consent_must_be_the_persons_standing_consent_naming_tax(
    known: ConsentFacts | None, code: str
) -> None:
    facts = meeting(consultation_id="c-1", tax_information="住民税の滞納", tax_consent_id="k-1")
    assert problems(facts, known) == {"tax_consent_id": code}


def test_the_persons_standing_tax_consent_passes() -> None:
    facts = meeting(consultation_id="c-1", tax_information="住民税の滞納", tax_consent_id="k-1")
    assert problems(facts, consent()) == {}


def test_a_consent_naming_organisations_lets_the_tax_information_go_to_those_only() -> None:
    facts = meeting(
        persons=[person(TOWN, OFFICER), person(SHAKYO), person(WILLWORK)],
        consultation_id="c-1",
        tax_information="住民税の滞納",
        tax_consent_id="k-1",
    )
    # The convener (TOWN) holds the tax information already.
    assert problems(facts, consent(organisations=[SHAKYO])) == {
        "members[2].organisation_id": "not_in_consent"
    }


# --- who is shown the material ------------------------------------------------------------------

PERSONS = [person(TOWN, OFFICER), person(SHAKYO, "shakyo-a"), person(SHAKYO, "shakyo-b")]
ORGANISATIONS = [TOWN, SHAKYO, WILLWORK]  # WILLWORK: a member organisation naming no one (older record)


def shown(accepted: dict[str, str], organisation_id: str, subject: str) -> bool:
    return material_shown(PERSONS, ORGANISATIONS, accepted, organisation_id=organisation_id, subject=subject)


def test_a_member_person_sees_the_material_only_once_they_accepted() -> None:
    assert not shown({}, SHAKYO, "shakyo-a")
    assert shown({"shakyo-a": SHAKYO}, SHAKYO, "shakyo-a")
    assert not shown({"shakyo-a": SHAKYO}, SHAKYO, "shakyo-b")  # each person accepts for themself


def test_a_refusal_says_why_and_where_to_accept() -> None:
    with pytest.raises(ConfidentialityNotAccepted) as refused:
        check_material_shown(
            PERSONS, ORGANISATIONS, {}, organisation_id=SHAKYO, subject="shakyo-a", accept_at="/here"
        )
    assert refused.value.status == 403
    assert refused.value.extra == {"accept_at": "/here"}
    assert refused.value.detail is not None and "/here" in refused.value.detail.ja


def test_other_staff_of_an_organisation_whose_attendees_are_named_are_not_member_persons() -> None:
    with pytest.raises(NotAMemberPerson):
        may_accept(PERSONS, ORGANISATIONS, organisation_id=SHAKYO, subject="shakyo-c")
    assert not shown({"shakyo-c": SHAKYO}, SHAKYO, "shakyo-c")


def test_a_person_is_a_member_for_the_organisation_they_were_named_for_only() -> None:
    with pytest.raises(NotAMemberPerson):
        may_accept(PERSONS, ORGANISATIONS, organisation_id=WILLWORK, subject="shakyo-a")
    assert not shown({"shakyo-a": SHAKYO}, WILLWORK, "shakyo-a")


def test_a_non_member_organisation_is_never_a_member_person() -> None:
    with pytest.raises(NotAMemberPerson):
        may_accept(PERSONS, ORGANISATIONS, organisation_id="016314-other", subject="x")


def test_an_organisation_named_without_persons_lets_its_staff_accept_then_see() -> None:
    may_accept(PERSONS, ORGANISATIONS, organisation_id=WILLWORK, subject="willwork-a")  # no refusal
    assert not shown({}, WILLWORK, "willwork-a")
    assert shown({"willwork-a": WILLWORK}, WILLWORK, "willwork-a")
    assert not shown({"willwork-a": SHAKYO}, WILLWORK, "willwork-a")  # accepted for another
