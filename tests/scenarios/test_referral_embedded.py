"""The first flow end to end in embedded mode: consultation → consent → referral → case → accepted."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from shared.runtime import runtimes_of
from tests.support import metrics
from tests.support.builders import OTOFUKE, consent_body, consultation_body
from tests.support.waiting import eventually


async def _refer(client: httpx.AsyncClient) -> tuple[str, dict]:
    created = await client.post("/intake/v1/consultations", json=consultation_body())
    assert created.status_code == 201, created.text
    consultation_id = created.json()["id"]
    consent = await client.post(f"/intake/v1/consultations/{consultation_id}/consents", json=consent_body())
    assert consent.status_code == 201, consent.text
    referral = await client.post(
        f"/intake/v1/consultations/{consultation_id}/referrals",
        json={"reason": "8050: 母の介護と長男のひきこもり"},
    )
    assert referral.status_code == 201, referral.text
    assert referral.json()["status"] == "sent"
    return consultation_id, referral.json()


async def test_a_consented_referral_opens_one_case_and_the_window_sees_it_accepted(client, app) -> None:
    consultation_id, referral = await _refer(client)

    async def case_visible() -> dict | None:
        page = (await client.get("/coordination/v1/cases", params={"referral_id": referral["id"]})).json()
        return page["items"][0] if page["items"] else None

    listed = await eventually(case_visible)
    case = (await client.get(f"/coordination/v1/cases/{listed['id']}")).json()
    assert case["tenant_id"] == OTOFUKE
    assert case["consultation_id"] == consultation_id
    assert case["status"] == "open"
    assert case["main_concern"] == "elder_care"
    assert case["welfare_fields"] == ["elderly_care", "children", "hardship"]
    assert case["person"]["name"] == "音更 花子"
    assert case["household"][0]["relation"] == "長男"
    assert case["consent"]["data_classes"] == ["identity", "contact", "household", "concerns"]
    assert case["case_number"].endswith("-00001")

    async def accepted() -> dict | None:
        seen = (await client.get(f"/intake/v1/referrals/{referral['id']}")).json()
        return seen if seen["status"] == "accepted" else None

    seen = await eventually(accepted)
    assert seen["case_id"] == case["id"]
    assert seen["case_number"] == case["case_number"]
    consultation = (await client.get(f"/intake/v1/consultations/{consultation_id}")).json()
    assert consultation["referrals"][0]["status"] == "accepted"

    coordination = runtimes_of(app)["coordination"]
    async with coordination.db.transaction() as session:
        from services.coordination.cases.models import Case

        assert await session.scalar(select(func.count()).select_from(Case)) == 1


async def test_personal_data_the_consent_does_not_cover_does_not_reach_coordination(client) -> None:
    created = (await client.post("/intake/v1/consultations", json=consultation_body())).json()
    await client.post(
        f"/intake/v1/consultations/{created['id']}/consents",
        json=consent_body(data_classes=["identity", "concerns"]),
    )
    referral = (await client.post(f"/intake/v1/consultations/{created['id']}/referrals", json={})).json()

    async def case_visible() -> dict | None:
        page = (await client.get("/coordination/v1/cases", params={"referral_id": referral["id"]})).json()
        return page["items"][0] if page["items"] else None

    listed = await eventually(case_visible)
    case = (await client.get(f"/coordination/v1/cases/{listed['id']}")).json()
    assert case["person"]["name"] == "音更 花子"
    assert "address" not in case["person"] and "phone" not in case["person"]
    assert case["household"] is None
    assert case["notes"] is None


async def test_a_declined_or_returned_referral_shows_at_the_window_with_its_reason(client) -> None:
    for answer, reason in (
        ("decline", "単独の機関で対応可能"),
        ("return", "世帯の状況を追加で確認してください"),
    ):
        created = (await client.post("/intake/v1/consultations", json=consultation_body())).json()
        await client.post(f"/intake/v1/consultations/{created['id']}/consents", json=consent_body())
        referral = (await client.post(f"/intake/v1/consultations/{created['id']}/referrals", json={})).json()

        async def case_visible(referral_id: str = referral["id"]) -> dict | None:
            page = (await client.get("/coordination/v1/cases", params={"referral_id": referral_id})).json()
            return page["items"][0] if page["items"] else None

        case = await eventually(case_visible)
        read = await client.get(f"/coordination/v1/cases/{case['id']}")
        assert read.status_code == 200, read.text
        answered = await client.post(
            f"/coordination/v1/cases/{case['id']}/{answer}",
            json={"reason": reason},
            headers={"If-Match": read.headers["etag"]},
        )
        assert answered.status_code == 200, answered.text
        expected = {"decline": "declined", "return": "returned"}[answer]
        assert answered.json()["status"] == expected

        async def window_sees(referral_id: str = referral["id"], expected: str = expected) -> dict | None:
            seen = (await client.get(f"/intake/v1/referrals/{referral_id}")).json()
            return seen if seen["status"] == expected else None

        seen = await eventually(window_sees)
        assert seen["status_reason"] == reason

        # Once answered, the window may refer the same consultation again.
        again = await client.post(f"/intake/v1/consultations/{created['id']}/referrals", json={})
        assert again.status_code == 201, again.text


async def test_metrics_show_what_the_consumers_did_and_what_the_outbox_still_holds(client) -> None:
    created = (await client.post("/intake/v1/consultations", json=consultation_body())).json()
    await client.post(f"/intake/v1/consultations/{created['id']}/consents", json=consent_body())
    referral = (await client.post(f"/intake/v1/consultations/{created['id']}/referrals", json={})).json()

    async def accepted() -> bool:
        seen = (await client.get(f"/intake/v1/referrals/{referral['id']}")).json()
        return bool(seen["status"] == "accepted")

    await eventually(accepted)

    async def drained() -> str | None:
        text = (await client.get("/metrics")).text
        return text if metrics.value(text, "jusou_outbox_backlog", service="coordination") == 0 else None

    text = await eventually(drained)
    consumed = "jusou_consumer_messages_total"
    # At least the referral and the consent (and the directory's start-up events before them).
    assert (metrics.value(text, consumed, service="coordination", outcome="applied") or 0) >= 2
    assert (metrics.value(text, consumed, service="intake", outcome="applied") or 0) >= 1
    assert metrics.value(text, consumed, service="coordination", outcome="dead_lettered") == 0
    assert metrics.value(text, "jusou_outbox_backlog", service="intake") == 0
