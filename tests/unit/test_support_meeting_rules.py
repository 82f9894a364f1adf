"""What a support-meeting record must satisfy (支援会議, Social Welfare Act Art. 106-6; tax information
under Local Tax Act Art. 22), as plain rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.coordination.support_meetings.rules import ConsentFacts, MeetingFacts, check_meeting
from shared.errors import InvalidInput

TOWN = "016314-town"
SHAKYO = "016314-shakyo"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
KNOWN = {TOWN: "016314", SHAKYO: "016314", "223417-town": "223417"}


def meeting(**overrides: Any) -> MeetingFacts:
    values: dict[str, Any] = {
        "tenant_id": "016314",
        "convened_by": TOWN,
        "members": [TOWN, SHAKYO],
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
    ("members", "expected"),
    [
        ([TOWN, "223417-town"], {"members[1]": "other_municipality"}),
        ([TOWN, "016314-unknown-npo"], {"members[1]": "unknown_organisation"}),
        (
            [TOWN, SHAKYO, "016314-unknown-npo", "223417-town"],
            {"members[2]": "unknown_organisation", "members[3]": "other_municipality"},
        ),
        (
            [SHAKYO, "016314-keiseikai"],
            {"members": "convener_not_member", "members[1]": "unknown_organisation"},
        ),
        ([TOWN], {"members": "too_few"}),
    ],
)
def test_members_must_be_the_municipalitys_known_organisations(
    members: list[str], expected: dict[str, str]
) -> None:
    assert problems(meeting(members=members)) == expected


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
        members=[TOWN, SHAKYO, "016314-willwork"],
        consultation_id="c-1",
        tax_information="住民税の滞納",
        tax_consent_id="k-1",
    )
    known = {**KNOWN, "016314-willwork": "016314"}
    named = consent(organisations=[SHAKYO])

    try:
        check_meeting(facts, today=TODAY, now=NOW, member_tenants=known, tax_consent=named)
    except InvalidInput as refused:
        found = {p.field: p.code for p in refused.fields}
    else:
        found = {}

    assert found == {"members[2]": "not_in_consent"}  # the convener (TOWN) holds it already
