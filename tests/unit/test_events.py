"""The CloudEvents envelope, its Kafka mapping, the registry of versioned events and the catalogue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared.events import CloudEvent, decode
from shared.events.catalog import (
    CaseOpened,
    CaseReferred,
    ConsentRecorded,
    ConsentScope,
    ConsentWithdrawn,
    ContactAttempt,
    ContactLost,
    ContactResumed,
)
from shared.events.registry import UnknownEventType, asyncapi_document, registered

OPENED_AT = datetime(2026, 4, 1, 0, 30, 15, 123456, tzinfo=UTC)


def case_opened(**overrides: object) -> CaseOpened:
    values: dict[str, object] = {
        "case_id": "case-1",
        "case_number": "2026-00001",
        "referral_id": "referral-1",
        "consultation_id": "consultation-1",
        "tenant_id": "016314",
        "window_code": "016314-ranran",
        "opened_at": OPENED_AT,
    }
    values.update(overrides)
    return CaseOpened(**values)  # type: ignore[arg-type]


def case_referred() -> CaseReferred:
    return CaseReferred(
        referral_id="referral-1",
        consultation_id="consultation-1",
        tenant_id="016314",
        window_code="016314-ranran",
        referring_organisation_id="016314-hakuju-kyokai",
        referred_at=OPENED_AT,
        urgency="high",
        main_concern="elder_care",
        concerns=["elder_care", "withdrawal_truancy"],
        welfare_fields=["elderly_care", "children", "hardship"],
        reason="8050: 母の介護と長男のひきこもり",
        consent=ConsentScope(
            consent_id="consent-1",
            purposes=["collaboration"],
            data_classes=["identity", "concerns"],
            organisations=[],
            obtained_at=OPENED_AT,
            method="written",
        ),
    )


# --- envelope -------------------------------------------------------------------------------


def test_an_event_travels_as_a_cloudevent_keyed_by_its_aggregate() -> None:
    envelope = case_opened().to_cloudevent()

    assert envelope.specversion == "1.0"
    assert envelope.type == "jp.jusou.coordination.CaseOpened.v1"
    assert envelope.source == "/jusou/coordination"
    assert envelope.subject == "referral-1"
    assert envelope.tenantid == "016314"
    assert envelope.data["case_number"] == "2026-00001"


def test_binary_kafka_mode_round_trips_the_envelope() -> None:
    original = case_referred().to_cloudevent()

    key, value, headers = original.to_kafka()
    restored = CloudEvent.from_kafka(value, headers)

    # Keyed by the consultation (the CloudEvents partition key), so that a withdrawal of its consent,
    # keyed the same, can never overtake it on the way; the subject stays the referral.
    assert key == b"consultation-1"
    assert dict(headers)["ce_partitionkey"] == b"consultation-1"
    assert restored_subject_is_the_referral(original)
    assert dict(headers)["ce_tenantid"] == b"016314"
    assert dict(headers)["content-type"] == b"application/json"
    assert restored.id == original.id
    assert restored.type == original.type
    assert restored.subject == original.subject
    assert restored.time == original.time
    assert restored.data == original.data
    assert restored.data["referring_organisation_id"] == "016314-hakuju-kyokai"
    assert restored.tenantid == "016314"
    assert restored == original


def test_japanese_data_is_sent_as_utf8_not_escaped() -> None:
    _, value, _ = case_referred().to_cloudevent().to_kafka()

    assert "母の介護".encode() in value


def test_an_event_without_a_tenant_sends_no_tenant_header() -> None:
    envelope = CloudEvent(source="/jusou/test", type="x", subject="s", data={})

    _, _, headers = envelope.to_kafka()

    assert "ce_tenantid" not in dict(headers)
    assert CloudEvent.from_kafka(b"{}", headers).tenantid is None


# --- registry -------------------------------------------------------------------------------


def test_the_catalogue_registers_the_referral_flow() -> None:
    names = {cls.name for cls in registered().values()}

    assert {"CaseReferred", "ConsentWithdrawn", "CaseOpened", "ReferralDeclined", "ReferralReturned"} <= names


def test_every_registered_event_is_published_on_its_producers_topic() -> None:
    for type_name, cls in registered().items():
        assert cls.topic() == f"{cls.producer}.events.v{cls.version}", type_name
        assert type_name == f"jp.jusou.{cls.producer}.{cls.name}.v{cls.version}"


def test_the_producers_are_the_services_that_own_the_facts() -> None:
    assert CaseReferred.topic() == "intake.events.v1"
    assert CaseOpened.topic() == "coordination.events.v1"


def test_decode_gives_back_the_event_model() -> None:
    event = case_referred()

    assert decode(event.to_cloudevent()) == event


def test_decode_validates_the_data_against_the_model() -> None:
    envelope = case_opened().to_cloudevent()
    broken = envelope.model_copy(update={"data": {**envelope.data, "case_number": None}})

    with pytest.raises(ValidationError):
        decode(broken)


def test_a_reader_ignores_data_fields_its_version_does_not_know() -> None:
    # A newer producer added an optional field (never personal data: that is a new version).
    envelope = case_opened().to_cloudevent()
    extended = envelope.model_copy(update={"data": {**envelope.data, "case_manager": "016314-town"}})

    event = decode(extended)

    assert event == case_opened()
    assert "case_manager" not in event.model_dump()


def test_a_producer_cannot_write_a_field_the_model_does_not_declare() -> None:
    with pytest.raises(ValidationError, match="declares no field person"):
        CaseOpened.model_validate({**case_opened().model_dump(), "person": {"name": "音更 花子"}})
    with pytest.raises(ValidationError, match="declares no field nickname"):
        ConsentScope(
            consent_id="c",
            purposes=["collaboration"],
            data_classes=["identity"],
            organisations=[],
            obtained_at=datetime(2026, 11, 20, tzinfo=UTC),
            method="written",
            nickname="はなちゃん",  # type: ignore[call-arg]
        )


def test_a_nested_part_is_read_tolerantly_too() -> None:
    envelope = case_referred().to_cloudevent()
    data = {**envelope.data, "consent": {**envelope.data["consent"], "renewal_due": "2027-11-20"}}

    event = decode(envelope.model_copy(update={"data": data}))

    assert event == case_referred()


def test_an_unknown_event_type_is_refused() -> None:
    envelope = case_opened().to_cloudevent().model_copy(update={"type": "jp.jusou.intake.Nope.v1"})

    with pytest.raises(UnknownEventType):
        decode(envelope)


# --- AsyncAPI -------------------------------------------------------------------------------


def test_the_asyncapi_document_lists_a_channel_per_producer_with_its_messages() -> None:
    document = asyncapi_document()

    assert document["asyncapi"].startswith("3.")
    channels = document["channels"]
    assert "CaseReferredV1" in channels["intake.events.v1"]["messages"]
    assert "CaseOpenedV1" in channels["coordination.events.v1"]["messages"]
    messages = document["components"]["messages"]
    assert messages["CaseReferredV1"]["headers"]["properties"]["ce_type"]["const"] == (
        "jp.jusou.intake.CaseReferred.v1"
    )
    assert "referral_id" in messages["CaseReferredV1"]["payload"]["properties"]
    assert set(messages) == {f"{cls.name}V{cls.version}" for cls in registered().values()}


def test_every_reference_in_the_asyncapi_document_resolves() -> None:
    document = asyncapi_document()
    references: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                references.append(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    # CaseReferred's person and consent are nested models: their $refs are among these.
    assert any("/payload/$defs/" in ref for ref in references)
    for ref in references:
        assert ref.startswith("#/"), ref
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            assert isinstance(target, dict) and part in target, f"{ref} does not resolve at {part!r}"
            target = target[part]


def restored_subject_is_the_referral(envelope: CloudEvent) -> bool:
    return envelope.subject == "referral-1"


def test_every_intake_event_about_a_consultation_shares_its_key() -> None:
    at = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    withdrawn = ConsentWithdrawn(
        consent_id="consent-1", consultation_id="consultation-1", tenant_id="016314", withdrawn_at=at
    )
    recorded = ConsentRecorded(
        consent_id="consent-1",
        consultation_id="consultation-1",
        tenant_id="016314",
        organisation_id="016314-hakuju-kyokai",
        purposes=["collaboration"],
        data_classes=["identity"],
        organisations=[],
        obtained_at=at,
        valid_from=at,
        method="written",
    )
    keys = {event.to_cloudevent().to_kafka()[0] for event in (case_referred(), withdrawn, recorded)}
    assert keys == {b"consultation-1"}


def test_an_envelope_with_an_extension_this_version_does_not_know_is_still_read() -> None:
    _key, value, headers = case_referred().to_cloudevent().to_kafka()

    restored = CloudEvent.from_kafka(value, [*headers, ("ce_traceparent", b"00-abc-def-01")])

    assert restored.type == CaseReferred.cloudevent_type()


# --- outreach's word on contact with the person ---------------------------------------------------


def contact_lost(**overrides: object) -> ContactLost:
    values: dict[str, object] = {
        "report_id": "report-1",
        "case_id": "case-1",
        "item_id": "item-1",
        "tenant_id": "016314",
        "organisation_id": "016314-shakyo",
        "attempts": [
            ContactAttempt(attempt_id="a-1", attempted_on=date(2026, 11, 2), method="visit"),
            ContactAttempt(
                attempt_id="a-2", attempted_on=date(2026, 11, 9), method="neighbours", outcome="最近見ない"
            ),
        ],
        "last_contact_on": date(2026, 10, 20),
        "reported_at": OPENED_AT,
    }
    values.update(overrides)
    return ContactLost(**values)  # type: ignore[arg-type]


def test_outreachs_contact_events_travel_on_its_topic_keyed_by_the_case() -> None:
    resumed = ContactResumed(
        report_id="report-2",
        case_id="case-1",
        item_id="item-1",
        tenant_id="016314",
        organisation_id="016314-shakyo",
        reached_on=date(2026, 11, 20),
        reported_at=OPENED_AT,
    )
    for event in (contact_lost(), resumed):
        assert event.topic() == "outreach.events.v1"
        assert event.to_cloudevent().to_kafka()[0] == b"case-1"  # in order with the case's events
        assert decode(event.to_cloudevent()) == event
    messages = asyncapi_document()["channels"]["outreach.events.v1"]["messages"]
    assert {"ContactLostV1", "ContactResumedV1"} <= set(messages)


def test_a_contact_lost_lists_its_attempts_by_a_known_method_with_a_short_outcome() -> None:
    with pytest.raises(ValidationError):
        contact_lost(attempts=[])
    with pytest.raises(ValidationError):
        ContactAttempt(attempt_id="a-1", attempted_on=date(2026, 11, 2), method="telepathy")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ContactAttempt(attempt_id="a-1", attempted_on=date(2026, 11, 2), method="letter", outcome="長" * 201)
    never_reached = contact_lost(last_contact_on=None)
    assert decode(never_reached.to_cloudevent()) == never_reached
