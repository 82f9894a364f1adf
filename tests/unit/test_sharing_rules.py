"""The legal basis of showing the person to an organisation taking part, and the checks of parties and
emergency sharing: plain functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.coordination.parties.rules import (
    Basis,
    ConsentCover,
    EmergencyCover,
    EmergencyFacts,
    LegalBasis,
    PartyFacts,
    basis_for,
    check_emergency,
    check_party,
    shown_person,
)
from shared.errors import InvalidInput

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 12:00 in Japan
TODAY = date(2026, 12, 1)
COUNCIL = "016314-shakyo"
WINDOW = "016314-hakuju-kyokai"


def consent(
    consent_id: str = "k-1",
    *,
    organisations: tuple[str, ...] = (),
    data_classes: tuple[str, ...] | None = ("identity", "contact"),
    purposes: tuple[str, ...] = ("collaboration",),
    valid_from: datetime | None = None,
    withdrawn_at: datetime | None = None,
) -> ConsentCover:
    return ConsentCover(consent_id, purposes, data_classes, organisations, valid_from, withdrawn_at)


def basis(
    organisation: str = COUNCIL,
    *,
    consents: tuple[ConsentCover, ...] = (),
    meetings: dict[str, list[str]] | None = None,
    emergencies: tuple[EmergencyCover, ...] = (),
) -> Basis | None:
    return basis_for(
        organisation,
        consents=consents,
        meeting_members=meetings or {},
        emergencies=emergencies,
        now=NOW,
        today=TODAY,
    )


def test_a_consent_naming_no_organisation_covers_every_organisation_taking_part() -> None:
    assert basis(consents=(consent(),)) == Basis(
        LegalBasis.consent, "k-1", frozenset({"identity", "contact"})
    )


def test_a_consent_naming_organisations_covers_those_only() -> None:
    named = consent(organisations=(WINDOW,))
    assert basis(WINDOW, consents=(named,)) is not None
    assert basis(COUNCIL, consents=(named,)) is None


@pytest.mark.parametrize(
    "cover",
    [
        consent(withdrawn_at=NOW - timedelta(days=1)),
        consent(valid_from=NOW + timedelta(hours=1)),
        consent(purposes=("support_meeting",)),
        consent(data_classes=None),  # only its withdrawal is known so far
    ],
    ids=["withdrawn", "not yet valid", "for the support meeting only", "scope not known"],
)
def test_a_consent_that_does_not_stand_for_sharing_covers_nobody(cover: ConsentCover) -> None:
    assert basis(consents=(cover,)) is None


def test_of_several_consents_the_widest_is_named() -> None:
    narrow = consent("k-1", data_classes=("identity",))
    wide = consent("k-2", data_classes=("identity", "contact", "household"))
    found = basis(consents=(narrow, wide))
    assert found is not None
    assert (found.reference, found.data_classes) == ("k-2", frozenset({"identity", "contact", "household"}))


def test_a_support_meetings_member_is_shown_identity_and_contact() -> None:
    found = basis(meetings={"m-1": [COUNCIL, "016314-town"]})
    assert found == Basis(LegalBasis.support_meeting, "m-1", frozenset({"identity", "contact"}))
    assert basis(WINDOW, meetings={"m-1": [COUNCIL]}) is None


def test_an_emergency_sharing_holds_from_its_decision_to_its_last_day() -> None:
    standing = EmergencyCover("e-1", COUNCIL, NOW - timedelta(hours=1), TODAY)
    assert basis(emergencies=(standing,)) == Basis(
        LegalBasis.emergency, "e-1", frozenset({"identity", "contact"})
    )
    over = EmergencyCover("e-2", COUNCIL, NOW - timedelta(days=5), TODAY - timedelta(days=1))
    ahead = EmergencyCover("e-3", COUNCIL, NOW + timedelta(hours=1), TODAY + timedelta(days=2))
    someone_else = EmergencyCover("e-4", WINDOW, NOW - timedelta(hours=1), TODAY)
    assert basis(emergencies=(over, ahead, someone_else)) is None


def test_consent_comes_before_the_meeting_and_the_emergency() -> None:
    standing = EmergencyCover("e-1", COUNCIL, NOW - timedelta(hours=1), TODAY)
    found = basis(consents=(consent(),), meetings={"m-1": [COUNCIL]}, emergencies=(standing,))
    assert found is not None and found.kind == LegalBasis.consent
    found = basis(meetings={"m-1": [COUNCIL]}, emergencies=(standing,))
    assert found is not None and found.kind == LegalBasis.support_meeting


def test_only_the_data_classes_let_through_are_shown() -> None:
    person = {"name": "音更 太郎", "name_kana": "オトフケ タロウ", "phone": "0155-00-0000", "sex": "male"}
    assert shown_person(person, {"identity"}) == {
        "name": "音更 太郎",
        "name_kana": "オトフケ タロウ",
        "sex": "male",
    }
    assert shown_person(person, {"contact"}) == {"phone": "0155-00-0000"}
    assert shown_person(person, {"household"}) is None
    assert shown_person(None, {"identity"}) is None


def codes(error: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {problem.field: problem.code for problem in error.value.fields}


def test_a_party_is_an_organisation_of_the_municipality_with_its_days_in_order() -> None:
    check_party(PartyFacts(COUNCIL, TODAY, None), case_tenant="016314", organisation_tenant="016314")
    with pytest.raises(InvalidInput) as unknown:
        check_party(
            PartyFacts("x", TODAY, TODAY - timedelta(days=1)), case_tenant="016314", organisation_tenant=None
        )
    assert codes(unknown) == {"organisation_id": "unknown_organisation", "to_on": "before_start"}
    with pytest.raises(InvalidInput) as elsewhere:
        check_party(
            PartyFacts("223417-town", TODAY, None), case_tenant="016314", organisation_tenant="223417"
        )
    assert codes(elsewhere) == {"organisation_id": "other_municipality"}


def test_an_emergency_sharing_goes_to_an_organisation_taking_part_for_two_weeks_at_most() -> None:
    fine = EmergencyFacts(COUNCIL, NOW - timedelta(hours=3), TODAY + timedelta(days=14))
    check_emergency(fine, taking_part=[COUNCIL], now=NOW, decided_day=TODAY)
    with pytest.raises(InvalidInput) as refused:
        check_emergency(
            EmergencyFacts(COUNCIL, NOW + timedelta(minutes=5), TODAY + timedelta(days=15)),
            taking_part=[WINDOW],
            now=NOW,
            decided_day=TODAY,
        )
    assert codes(refused) == {
        "organisation_id": "not_taking_part",
        "decided_at": "in_future",
        "until": "too_long",
    }
    with pytest.raises(InvalidInput) as backwards:
        check_emergency(
            EmergencyFacts(COUNCIL, NOW, TODAY - timedelta(days=1)),
            taking_part=[COUNCIL],
            now=NOW,
            decided_day=TODAY,
        )
    assert codes(backwards) == {"until": "before_start"}
