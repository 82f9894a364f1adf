"""Referral to multi-agency collaboration (多機関協働事業へつなぐ): only with the person's consent.

A referral writes its CaseReferred event in the same transaction; a refused referral writes nothing.
The module's tests share one system: each refers its own consultations and looks at the outbox rows
about them (intake keys a referral's and a consent's events by the consultation); what intake holds
is compared before and after a request that must save nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.helpers import (
    CONSULTATIONS,
    EN,
    about,
    assert_problem,
    case_of,
    event_names,
    intake_outbox,
    intake_saved,
    record_consent,
    record_consultation,
    refer,
    shares_one_system,
)

pytestmark = shares_one_system

MISSING = "00000000-0000-0000-0000-000000000000"


def referrals_of(consultation_id: str) -> str:
    return f"{CONSULTATIONS}/{consultation_id}/referrals"


async def case_referred_rows(app, consultation_id: str) -> list[Any]:
    rows = about(await intake_outbox(app), consultation_id)
    return [row for row in rows if row.event_type.endswith(".CaseReferred.v1")]


async def test_a_consented_referral_is_sent_and_readable(client, app) -> None:
    consultation = await record_consultation(client)
    consent = await record_consent(client, consultation["id"])
    before = await intake_saved(app)

    response = await client.post(
        referrals_of(consultation["id"]), json={"reason": "8050: 母の介護と長男のひきこもり"}
    )

    assert response.status_code == 201, response.text
    referral = response.json()
    assert response.headers["location"] == f"/intake/v1/referrals/{referral['id']}"
    assert referral["status"] == "sent"
    assert referral["consultation_id"] == consultation["id"]
    assert referral["consent_id"] == consent["id"]
    assert referral["window_code"] == consultation["window_code"]
    assert referral["tenant_id"] == consultation["tenant_id"]
    assert referral["reason"] == "8050: 母の介護と長男のひきこもり"

    fetched = await client.get(f"/intake/v1/referrals/{referral['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["id"] == referral["id"]
    listed = await client.get(referrals_of(consultation["id"]))
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [referral["id"]]
    assert (await intake_saved(app))["referrals"] == before["referrals"] + 1


async def test_a_referral_writes_exactly_one_case_referred_keyed_by_the_consultation(client, app) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"])
    before = await intake_saved(app)

    referral = await refer(client, consultation["id"])

    assert (await intake_saved(app))["outbox"] == before["outbox"] + 1
    rows = about(await intake_outbox(app), consultation["id"])
    assert event_names(rows) == {"ConsentRecorded": 1, "CaseReferred": 1}
    (row,) = [r for r in rows if r.event_type.endswith(".CaseReferred.v1")]
    assert row.topic == "intake.events.v1"
    # The consultation's key, which its consent's events share: they stay in order on the way.
    assert row.key == consultation["id"]
    assert row.envelope["subject"] == referral["id"]
    assert row.envelope["tenantid"] == consultation["tenant_id"]
    data = row.envelope["data"]
    assert data["referral_id"] == referral["id"]
    assert data["consultation_id"] == consultation["id"]
    assert data["person"]["name"] == "音更 花子"
    assert data["person"]["phone"] == "0155-42-2111"
    assert data["household"][0]["relation"] == "長男"
    assert data["concerns"] == ["elder_care", "withdrawal_truancy", "income"]
    assert data["notes"] is None  # "notes" was not among the consented data classes


async def test_the_event_carries_only_the_data_classes_the_person_consented_to(client, app) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"], data_classes=["identity", "concerns"])

    await refer(client, consultation["id"])

    (row,) = await case_referred_rows(app, consultation["id"])
    data = row.envelope["data"]
    assert data["person"]["name"] == "音更 花子"
    assert data["person"]["name_kana"] == "オトフケ ハナコ"
    assert data["person"]["address"] is None
    assert data["person"]["phone"] is None
    assert data["household"] is None
    assert data["notes"] is None
    assert data["main_concern"] == "elder_care"
    assert data["consent"]["data_classes"] == ["identity", "concerns"]
    for private in ("音更町元町2番地", "0155-42-2111", "ひきこもり", "息子の将来"):
        assert private not in str(row.envelope), private


async def test_notes_travel_only_when_consented(client, app) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"], data_classes=["identity", "concerns", "notes"])

    await refer(client, consultation["id"])

    (row,) = await case_referred_rows(app, consultation["id"])
    assert row.envelope["data"]["notes"] == "息子の将来が心配\n\n介護保険の説明をした"


async def test_the_newest_usable_consent_is_the_one_referred_under(client) -> None:
    consultation = await record_consultation(client)
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    await record_consent(client, consultation["id"], obtained_at=two_hours_ago)
    newer = await record_consent(client, consultation["id"])  # obtained half an hour ago

    referral = await refer(client, consultation["id"])

    assert referral["consent_id"] == newer["id"]


# --- without consent: the support meeting is the route ------------------------------------------


async def assert_refused_for_lack_of_consent(client, app, consultation_id: str) -> None:
    before = await intake_saved(app)

    ja = await client.post(referrals_of(consultation_id), json={"reason": "複合的な課題"})
    en = await client.post(referrals_of(consultation_id), json={}, headers=EN)

    body = assert_problem(ja, status=422, slug="consent-required", fields={"consent": "consent_required"})
    assert body["title"] == "本人の同意が必要です。"
    assert "支援会議" in body["detail"]
    assert body["alternative_route"] == "support_meeting"
    english = assert_problem(en, status=422, slug="consent-required", fields={"consent": "consent_required"})
    assert english["title"] == "The person's consent is required."
    assert "support meeting" in english["detail"]
    assert english["alternative_route"] == "support_meeting"

    assert await intake_saved(app) == before
    assert await case_referred_rows(app, consultation_id) == []
    assert (await client.get(referrals_of(consultation_id))).json() == []


async def test_a_referral_without_consent_points_to_the_support_meeting_and_saves_nothing(
    client, app
) -> None:
    consultation = await record_consultation(client)

    await assert_refused_for_lack_of_consent(client, app, consultation["id"])
    assert about(await intake_outbox(app), consultation["id"]) == []


async def test_a_referral_under_a_withdrawn_consent_is_refused_the_same_way(client, app) -> None:
    consultation = await record_consultation(client)
    consent = await record_consent(client, consultation["id"])
    withdrawn = await client.post(
        f"{CONSULTATIONS}/{consultation['id']}/consents/{consent['id']}/withdrawal",
        json={},
        headers={"If-Match": consent["etag"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text

    await assert_refused_for_lack_of_consent(client, app, consultation["id"])
    rows = about(await intake_outbox(app), consultation["id"])
    assert event_names(rows) == {"ConsentRecorded": 1, "ConsentWithdrawn": 1}


async def test_a_consent_that_does_not_cover_collaboration_is_no_consent(client, app) -> None:
    # What covers collaboration (explained, its purpose, identity and concerns shared, in force) is
    # tabled in tests/unit/test_consent_rules.py; here the rule is shown wired to the referral.
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"], purposes=["participation"])

    await assert_refused_for_lack_of_consent(client, app, consultation["id"])


# --- other refusals --------------------------------------------------------------------------


async def test_a_consultation_with_an_open_referral_cannot_be_referred_again(client, app) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"])
    first = await refer(client, consultation["id"])

    again = await client.post(referrals_of(consultation["id"]), json={}, headers=EN)

    body = assert_problem(again, status=409, slug="already-referred")
    assert body["title"] == "This consultation has already been referred to collaboration."
    assert [r["id"] for r in (await client.get(referrals_of(consultation["id"]))).json()] == [first["id"]]
    assert len(await case_referred_rows(app, consultation["id"])) == 1


async def test_a_second_referral_is_refused_also_after_the_case_was_opened(client, app) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"])
    referral = await refer(client, consultation["id"])
    await case_of(client, referral["id"])
    before = await intake_saved(app)

    again = await client.post(referrals_of(consultation["id"]), json={})

    assert_problem(again, status=409, slug="already-referred")
    assert await intake_saved(app) == before
    assert [r["id"] for r in (await client.get(referrals_of(consultation["id"]))).json()] == [referral["id"]]


async def test_referring_an_unknown_consultation_is_404(client, app) -> None:
    before = await intake_saved(app)

    response = await client.post(referrals_of(MISSING), json={})

    assert_problem(response, status=404, slug="consultation-not-found")
    assert await intake_saved(app) == before


async def test_a_referral_with_unknown_fields_is_422_and_saves_nothing(client, app) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"])
    before = await intake_saved(app)

    response = await client.post(referrals_of(consultation["id"]), json={"reason": "x", "priority": "high"})

    assert_problem(response, status=422, slug="validation-error", fields={"priority": "extra_forbidden"})
    assert await intake_saved(app) == before
    assert await case_referred_rows(app, consultation["id"]) == []


async def test_a_referral_reason_of_the_wrong_type_is_422(client, app) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"])
    before = await intake_saved(app)

    response = await client.post(referrals_of(consultation["id"]), json={"reason": ["a", "b"]})

    assert_problem(response, status=422, slug="validation-error", fields={"reason": "string_type"})
    assert await intake_saved(app) == before


async def test_malformed_json_referral_is_400_and_saves_nothing(client, app) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"])
    before = await intake_saved(app)

    response = await client.post(
        referrals_of(consultation["id"]),
        content=b'{"reason": "x",}',
        headers={"content-type": "application/json"},
    )

    assert_problem(response, status=400, slug="malformed-json", fields={"body": "json_invalid"})
    assert await intake_saved(app) == before
    assert await case_referred_rows(app, consultation["id"]) == []


async def test_an_unknown_referral_is_404(client) -> None:
    ja = await client.get(f"/intake/v1/referrals/{MISSING}")
    en = await client.get(f"/intake/v1/referrals/{MISSING}", headers=EN)

    assert (
        assert_problem(ja, status=404, slug="referral-not-found")["title"] == "つなぎの記録が見つかりません。"
    )
    assert assert_problem(en, status=404, slug="referral-not-found")["title"] == "Referral not found."


async def test_referrals_of_an_unknown_consultation_are_404(client) -> None:
    assert_problem(await client.get(referrals_of(MISSING)), status=404, slug="consultation-not-found")


async def test_the_consultation_shows_its_referrals(client) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"])
    referral = await refer(client, consultation["id"])

    fetched = (await client.get(f"{CONSULTATIONS}/{consultation['id']}")).json()

    assert [r["id"] for r in fetched["referrals"]] == [referral["id"]]
    assert fetched["referrals"][0]["status"] in {"sent", "accepted"}
