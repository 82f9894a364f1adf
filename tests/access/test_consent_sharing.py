"""Consent governs sharing: withdrawal stops it, support-meeting material stays with its members,
and tax information never leaves without a consent that names it.

The module's tests share one system: each refers consultations of its own and looks only at them."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from services.intake.db import messaging as intake_messaging
from shared.runtime import runtimes_of
from tests.api.helpers import shares_one_system
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK, consent_body, consultation_body
from tests.support.tokens import bearer
from tests.support.waiting import eventually

pytestmark = shares_one_system

CASES = "/coordination/v1/cases"


async def _referred(client: httpx.AsyncClient, settings, *, consent: dict | None = None, **overrides) -> dict:
    staff = bearer(settings, "window_staff")
    created = (
        await client.post("/intake/v1/consultations", json=consultation_body(**overrides), headers=staff)
    ).json()
    given = await client.post(
        f"/intake/v1/consultations/{created['id']}/consents", json=consent or consent_body(), headers=staff
    )
    assert given.status_code == 201, given.text
    referral = (
        await client.post(f"/intake/v1/consultations/{created['id']}/referrals", json={}, headers=staff)
    ).json()
    coordinator = bearer(settings, "coordinator", org=OTOFUKE_TOWN)

    async def case() -> dict | None:
        page = (await client.get(CASES, params={"referral_id": referral["id"]}, headers=coordinator)).json()
        return page["items"][0] if page["items"] else None

    listed = await eventually(case)
    return {
        "consultation": created,
        "consent": given.json(),
        "consent_etag": given.headers["etag"],
        "case": listed,
    }


async def test_a_party_sees_the_person_until_the_consent_is_withdrawn(client, settings) -> None:
    world = await _referred(client, settings)
    party = bearer(settings, "outreach_worker", org=RANRAN_OPERATOR)
    seen = (await client.get(f"{CASES}/{world['case']['id']}", headers=party)).json()
    assert seen["person_name"] == "音更 花子"
    assert "household" not in seen and "notes" not in seen  # a party's view has fewer fields

    withdrawn = await client.post(
        f"/intake/v1/consultations/{world['consultation']['id']}/consents/{world['consent']['id']}/withdrawal",
        json={"reason": "本人の申し出"},
        headers={**bearer(settings, "window_staff"), "If-Match": world["consent_etag"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text

    async def hidden() -> dict | None:
        view = (await client.get(f"{CASES}/{world['case']['id']}", headers=party)).json()
        return view if view["person_name"] is None else None

    view = await eventually(hidden)
    assert view["person_name_kana"] is None
    coordinator = (
        await client.get(f"{CASES}/{world['case']['id']}", headers=bearer(settings, "coordinator"))
    ).json()
    assert coordinator["consent_withdrawn_at"] is not None

    # And no new sharing: the window cannot refer again under the withdrawn consent.
    again = await client.post(
        f"/intake/v1/consultations/{world['consultation']['id']}/referrals",
        json={},
        headers=bearer(settings, "window_staff"),
    )
    assert again.status_code in (409, 422), again.text


async def test_a_consent_naming_organisations_shares_the_person_only_with_them(client, settings) -> None:
    world = await _referred(client, settings, consent=consent_body(organisations=[OTOFUKE_TOWN]))
    party = bearer(settings, "window_staff", org=RANRAN_OPERATOR)
    seen = (await client.get(f"{CASES}/{world['case']['id']}", headers=party)).json()
    assert seen["person_name"] is None  # らんらん's operator is a party, but not named in the consent


async def test_support_meeting_material_is_for_members_only(client, settings) -> None:
    officer = bearer(settings, "municipal_officer", org=OTOFUKE_TOWN)
    created = await client.post(
        "/coordination/v1/support-meetings",
        json={
            "held_on": date.today().isoformat(),
            "members": [{"organisation_id": RANRAN_OPERATOR, "name": "らんらん 担当", "subject": "ranran-a"}],
            "concerning": "同意が得られていない高齢の世帯",
            "discussion": "民生委員から見守りの報告",
        },
        headers=officer,
    )
    assert created.status_code == 201, created.text
    meeting = created.json()
    path = f"/coordination/v1/support-meetings/{meeting['id']}"

    member = bearer(settings, "window_staff", org=RANRAN_OPERATOR, subject="ranran-a")
    accepted = await client.post(f"{path}/confidentiality-acceptances", json={}, headers=member)
    assert accepted.status_code == 201, accepted.text
    assert (await client.get(path, headers=member)).json()["discussion"] == "民生委員から見守りの報告"
    for outsider in (
        bearer(settings, "window_staff", org=WILLWORK),
        bearer(settings, "coordinator", org=WILLWORK),
        bearer(settings, "municipal_officer", org=WILLWORK),
    ):
        assert (await client.get(path, headers=outsider)).status_code == 404
        listed = (await client.get("/coordination/v1/support-meetings", headers=outsider)).json()["items"]
        assert meeting["id"] not in {m["id"] for m in listed}


async def test_tax_information_is_not_recorded_for_a_support_meeting_without_consent(
    client, settings
) -> None:
    response = await client.post(
        "/coordination/v1/support-meetings",
        json={
            "held_on": date.today().isoformat(),
            "members": [{"organisation_id": RANRAN_OPERATOR, "name": "らんらん 担当", "subject": "ranran-a"}],
            "concerning": "滞納がある世帯",
            "tax_information": "住民税の滞納あり",
        },
        headers=bearer(settings, "municipal_officer", org=OTOFUKE_TOWN),
    )
    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["tax_information"]
    assert "地方税法第22条" in problem["errors"][0]["message"]


async def test_tax_information_leaves_intake_only_under_a_tax_consent(client, app, settings) -> None:
    without = await _referred(client, settings, tax_information="国民健康保険税の滞納あり")
    with_tax = await _referred(
        client,
        settings,
        consent=consent_body(data_classes=["identity", "concerns", "tax"]),
        tax_information="国民健康保険税の滞納あり",
    )
    coordinator = bearer(settings, "coordinator", org=OTOFUKE_TOWN)
    case_without = (await client.get(f"{CASES}/{without['case']['id']}", headers=coordinator)).json()
    case_with = (await client.get(f"{CASES}/{with_tax['case']['id']}", headers=coordinator)).json()
    assert case_without["tax_information"] is None
    assert case_with["tax_information"] == "国民健康保険税の滞納あり"

    outbox = intake_messaging.outbox
    async with runtimes_of(app)["intake"].db.transaction() as session:
        envelopes = [row.envelope for row in (await session.execute(select(outbox.c.envelope))).all()]
    by_consultation = {
        e["data"]["consultation_id"]: e["data"] for e in envelopes if e["type"].endswith("CaseReferred.v1")
    }
    assert by_consultation[without["consultation"]["id"]].get("tax_information") is None
    assert by_consultation[with_tax["consultation"]["id"]]["tax_information"] == "国民健康保険税の滞納あり"
