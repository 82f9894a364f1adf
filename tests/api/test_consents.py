"""Consent records of a consultation: record, list, withdraw (同意・同意の撤回).

The module's tests share one system: each records its own consultations, looks at the outbox rows
about them (intake keys a consent's events by its consultation), and compares what intake holds
before and after a request that must save nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.helpers import (
    CONSULTATIONS,
    EN,
    about,
    assert_problem,
    event_names,
    intake_outbox,
    intake_saved,
    record_consent,
    record_consultation,
    shares_one_system,
)
from tests.support.builders import RANRAN_OPERATOR, consent_body

pytestmark = shares_one_system

MISSING = "00000000-0000-0000-0000-000000000000"


def consents_of(consultation_id: str) -> str:
    return f"{CONSULTATIONS}/{consultation_id}/consents"


def withdrawal_of(consultation_id: str, consent_id: str) -> str:
    return f"{consents_of(consultation_id)}/{consent_id}/withdrawal"


async def test_a_consent_is_recorded_active_and_listed(client, app) -> None:
    consultation = await record_consultation(client)

    response = await client.post(consents_of(consultation["id"]), json=consent_body(organisations=["ranran"]))

    assert response.status_code == 201, response.text
    consent = response.json()
    assert response.headers["location"] == f"{consents_of(consultation['id'])}/{consent['id']}"
    assert consent["consultation_id"] == consultation["id"]
    assert consent["purposes"] == ["collaboration"]
    assert consent["data_classes"] == ["identity", "contact", "household", "concerns"]
    assert consent["organisations"] == ["ranran"]
    assert consent["valid_from"] == consent["obtained_at"]
    assert consent["active"] is True
    assert consent["withdrawn_at"] is None
    assert response.headers["etag"] == consent["etag"] == f'"{consent["id"]}.v1"'

    listed = await client.get(consents_of(consultation["id"]))
    assert listed.status_code == 200
    assert listed.json() == [consent]
    # Coordination hears of the consent's scope (to check a support meeting's tax consent), and of
    # nothing personal: no name, no note, no one who obtained it.
    (row,) = about(await intake_outbox(app), consultation["id"])
    assert row.event_type == "jp.jusou.intake.ConsentRecorded.v1"
    assert row.key == consultation["id"]
    assert row.envelope["data"] == {
        "consent_id": consent["id"],
        "consultation_id": consultation["id"],
        "tenant_id": consultation["tenant_id"],
        "organisation_id": RANRAN_OPERATOR,
        "purposes": ["collaboration"],
        "data_classes": ["identity", "contact", "household", "concerns"],
        "organisations": ["ranran"],
        "obtained_at": row.envelope["data"]["obtained_at"],
        "valid_from": row.envelope["data"]["valid_from"],
        "method": "written",
    }


async def test_a_consent_valid_from_later_is_not_yet_active(client) -> None:
    consultation = await record_consultation(client)
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()

    consent = await record_consent(client, consultation["id"], valid_from=later)

    assert consent["active"] is False


async def test_a_consultation_without_consent_lists_none(client) -> None:
    consultation = await record_consultation(client)

    assert (await client.get(consents_of(consultation["id"]))).json() == []


async def test_consents_of_an_unknown_consultation_are_404(client) -> None:
    assert_problem(await client.get(consents_of(MISSING)), status=404, slug="consultation-not-found")


async def test_a_consent_for_an_unknown_consultation_is_404_and_not_saved(client, app) -> None:
    before = await intake_saved(app)

    response = await client.post(consents_of(MISSING), json=consent_body())

    assert_problem(response, status=404, slug="consultation-not-found")
    assert await intake_saved(app) == before


BAD_CONSENTS: list[Any] = [
    pytest.param(consent_body(purposes=["marketing"]), "purposes[0]", "literal_error", id="unknown purpose"),
    pytest.param(consent_body(purposes=[]), "purposes", "too_short", id="no purpose"),
    pytest.param(
        consent_body(purposes=["collaboration", "collaboration"]),
        "purposes",
        "value_error",
        id="duplicate purpose",
    ),
    pytest.param(
        consent_body(data_classes=["dna"]), "data_classes[0]", "literal_error", id="unknown data class"
    ),
    pytest.param(consent_body(method="telepathy"), "method", "enum", id="unknown method"),
    pytest.param(consent_body(explained="maybe"), "explained", "bool_parsing", id="explained not a boolean"),
    pytest.param(
        consent_body(obtained_at="2026-01-01T10:00:00"), "obtained_at", "timezone_aware", id="naive time"
    ),
    pytest.param(consent_body(signature="花子"), "signature", "extra_forbidden", id="unknown field"),
    pytest.param(consent_body(obtained_by="  "), "obtained_by", "string_too_short", id="blank obtained_by"),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD_CONSENTS)
async def test_bad_consents_are_422_naming_the_field_and_not_saved(
    client, app, body, field: str, code: str
) -> None:
    consultation = await record_consultation(client)
    before = await intake_saved(app)

    response = await client.post(consents_of(consultation["id"]), json=body)

    assert_problem(response, status=422, slug="validation-error", fields={field: code})
    assert await intake_saved(app) == before


async def test_a_consent_obtained_in_the_future_is_refused(client, app) -> None:
    consultation = await record_consultation(client)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    before = await intake_saved(app)

    response = await client.post(
        consents_of(consultation["id"]), json=consent_body(obtained_at=tomorrow), headers=EN
    )

    body = assert_problem(response, status=422, slug="validation-error", fields={"obtained_at": "in_future"})
    assert body["title"] == "The input is not valid."
    assert await intake_saved(app) == before


async def test_malformed_json_consent_is_400(client, app) -> None:
    consultation = await record_consultation(client)
    before = await intake_saved(app)

    response = await client.post(
        consents_of(consultation["id"]),
        content=b"{purposes: [collaboration]}",
        headers={"content-type": "application/json"},
    )

    assert_problem(response, status=400, slug="malformed-json", fields={"body": "json_invalid"})
    assert await intake_saved(app) == before


# --- withdrawal -----------------------------------------------------------------------------


async def test_withdrawing_a_consent_ends_it_and_tells_the_other_services_once(client, app) -> None:
    consultation = await record_consultation(client)
    consent = await record_consent(client, consultation["id"])

    response = await client.post(
        withdrawal_of(consultation["id"], consent["id"]),
        json={"reason": "本人の申し出"},
        headers={"If-Match": consent["etag"]},
    )

    assert response.status_code == 200, response.text
    withdrawn = response.json()
    assert withdrawn["active"] is False
    assert withdrawn["withdrawn_at"] is not None
    assert withdrawn["withdrawal_reason"] == "本人の申し出"
    assert response.headers["etag"] == withdrawn["etag"] != consent["etag"]
    assert (await client.get(consents_of(consultation["id"]))).json() == [withdrawn]

    rows = about(await intake_outbox(app), consultation["id"])
    assert event_names(rows) == {"ConsentRecorded": 1, "ConsentWithdrawn": 1}
    (row,) = [r for r in rows if r.event_type.endswith(".ConsentWithdrawn.v1")]
    assert row.topic == "intake.events.v1"
    assert row.key == consultation["id"]
    assert row.envelope["data"]["consent_id"] == consent["id"]
    assert row.envelope["data"]["consultation_id"] == consultation["id"]


async def test_a_withdrawal_dated_in_the_past_keeps_its_date_but_never_a_future_one(client) -> None:
    consultation = await record_consultation(client)
    earlier = await record_consent(client, consultation["id"])
    later = await record_consent(client, consultation["id"])
    yesterday = datetime.now(UTC) - timedelta(days=1)
    tomorrow = datetime.now(UTC) + timedelta(days=1)

    past_response = await client.post(
        withdrawal_of(consultation["id"], earlier["id"]),
        json={"withdrawn_at": yesterday.isoformat()},
        headers={"If-Match": earlier["etag"]},
    )
    future_response = await client.post(
        withdrawal_of(consultation["id"], later["id"]),
        json={"withdrawn_at": tomorrow.isoformat()},
        headers={"If-Match": later["etag"]},
    )
    assert past_response.status_code == future_response.status_code == 200
    past, future = past_response.json(), future_response.json()

    assert datetime.fromisoformat(past["withdrawn_at"]) == yesterday
    assert datetime.fromisoformat(future["withdrawn_at"]) <= datetime.now(UTC)


async def test_a_consent_cannot_be_withdrawn_twice(client, app) -> None:
    consultation = await record_consultation(client)
    consent = await record_consent(client, consultation["id"])
    first = await client.post(
        withdrawal_of(consultation["id"], consent["id"]), json={}, headers={"If-Match": consent["etag"]}
    )
    assert first.status_code == 200, first.text

    # With the ETag read after the first withdrawal, so the refusal is not about a stale read.
    second = await client.post(
        withdrawal_of(consultation["id"], consent["id"]),
        json={"reason": "again"},
        headers={**EN, "If-Match": first.headers["etag"]},
    )

    body = assert_problem(second, status=409, slug="consent-withdrawn")
    assert body["title"] == "This consent has already been withdrawn."
    # A retry made from the read before the first withdrawal is a stale write.
    stale = await client.post(
        withdrawal_of(consultation["id"], consent["id"]), json={}, headers={"If-Match": consent["etag"]}
    )
    assert assert_problem(stale, status=412, slug="stale-write")["current_etag"] == first.headers["etag"]
    listed = (await client.get(consents_of(consultation["id"]))).json()
    assert listed[0]["withdrawn_at"] == first.json()["withdrawn_at"]
    assert listed[0]["withdrawal_reason"] is None
    rows = about(await intake_outbox(app), consultation["id"])
    assert event_names(rows) == {"ConsentRecorded": 1, "ConsentWithdrawn": 1}


async def test_withdrawing_an_unknown_consent_is_404(client, app) -> None:
    consultation = await record_consultation(client)
    before = await intake_saved(app)

    response = await client.post(withdrawal_of(consultation["id"], MISSING), json={})

    assert_problem(response, status=404, slug="consent-not-found")
    assert await intake_saved(app) == before


async def test_a_consent_cannot_be_withdrawn_through_another_consultation(client, app) -> None:
    mine = await record_consultation(client)
    other = await record_consultation(client)
    consent = await record_consent(client, mine["id"])

    response = await client.post(
        withdrawal_of(other["id"], consent["id"]), json={}, headers={"If-Match": consent["etag"]}
    )

    assert_problem(response, status=404, slug="consent-not-found")
    assert (await client.get(consents_of(mine["id"]))).json()[0]["active"] is True
    assert "ConsentWithdrawn" not in event_names(about(await intake_outbox(app), mine["id"], other["id"]))


async def test_a_withdrawal_with_unknown_fields_is_422_and_changes_nothing(client, app) -> None:
    consultation = await record_consultation(client)
    consent = await record_consent(client, consultation["id"])

    response = await client.post(
        withdrawal_of(consultation["id"], consent["id"]),
        json={"why": "気が変わった"},
        headers={"If-Match": consent["etag"]},
    )

    assert_problem(response, status=422, slug="validation-error", fields={"why": "extra_forbidden"})
    assert (await client.get(consents_of(consultation["id"]))).json()[0]["active"] is True
    assert "ConsentWithdrawn" not in event_names(about(await intake_outbox(app), consultation["id"]))


async def test_a_withdrawal_without_if_match_is_428_and_changes_nothing(client, app) -> None:
    consultation = await record_consultation(client)
    consent = await record_consent(client, consultation["id"])

    response = await client.post(withdrawal_of(consultation["id"], consent["id"]), json={})

    assert_problem(response, status=428, slug="precondition-required", fields={"If-Match": "missing"})
    assert (await client.get(consents_of(consultation["id"]))).json() == [consent]
    assert "ConsentWithdrawn" not in event_names(about(await intake_outbox(app), consultation["id"]))


@pytest.mark.parametrize(
    "if_match",
    [
        pytest.param("*", id="any"),
        pytest.param('"00000000-0000-0000-0000-000000000000.v1"', id="another record's"),
    ],
)
async def test_a_withdrawal_with_an_etag_that_is_not_the_consents_is_412(client, app, if_match: str) -> None:
    consultation = await record_consultation(client)
    consent = await record_consent(client, consultation["id"])

    response = await client.post(
        withdrawal_of(consultation["id"], consent["id"]), json={}, headers={"If-Match": if_match}
    )

    body = assert_problem(response, status=412, slug="stale-write")
    assert body["current_etag"] == consent["etag"]
    assert (await client.get(consents_of(consultation["id"]))).json() == [consent]
    assert "ConsentWithdrawn" not in event_names(about(await intake_outbox(app), consultation["id"]))
