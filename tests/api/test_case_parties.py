"""関係機関: organisations take part in a case; what each is shown of the person follows a legal basis
(a consent covering it, a support meeting, an emergency), and every disclosure is recorded with it.
The module's tests share one system; each works on cases of its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.api.helpers import (
    about,
    assert_problem,
    case_of,
    coordination_outbox,
    event_names,
    record_consent,
    record_consultation,
    refer,
    shares_one_system,
)
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK
from tests.support.tokens import bearer
from tests.support.waiting import eventually

pytestmark = shares_one_system

CASES = "/coordination/v1/cases"
SHAKYO = "016314-shakyo"  # 音更町社会福祉協議会
DAY = date.today()
TODAY = DAY.isoformat()


def coordinator(settings) -> dict[str, str]:
    return bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-sato")


def officer(settings) -> dict[str, str]:
    return bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer-tanaka")


def council(settings) -> dict[str, str]:
    return bearer(settings, "outreach_worker", org=SHAKYO, subject="outreach-suzuki")


async def case_under_consent_naming(
    client: httpx.AsyncClient, *organisations: str
) -> tuple[str, dict[str, Any]]:
    """A case referred by らんらん under a consent that names only `organisations`."""
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"], organisations=list(organisations))
    referral = await refer(client, consultation["id"], "8050")
    return consultation["id"], await case_of(client, referral["id"])


async def add(client: httpx.AsyncClient, settings, case_id: str, **overrides: Any) -> httpx.Response:
    body = {"organisation_id": SHAKYO, "role": "見守り訪問", "from_on": TODAY, **overrides}
    return await client.post(f"{CASES}/{case_id}/parties", json=body, headers=coordinator(settings))


async def name_seen_by(client: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> str | None:
    response = await client.get(f"{CASES}/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    name: str | None = response.json()["person_name"]
    return name


async def disclosures(client: httpx.AsyncClient, settings, case_id: str) -> list[tuple[str, str, str, str]]:
    response = await client.get(f"{CASES}/{case_id}/disclosures", headers=coordinator(settings))
    assert response.status_code == 200, response.text
    return [
        (d["organisation_id"], d["basis"], d["basis_reference"], d["channel"])
        for d in response.json()["items"]
    ]


async def test_an_organisation_the_consent_does_not_cover_sees_the_case_without_the_person_until_one_does(
    client: httpx.AsyncClient, settings
) -> None:
    consultation_id, case = await case_under_consent_naming(client, RANRAN_OPERATOR)
    added = await add(client, settings, case["id"])
    assert added.status_code == 201, added.text
    assert (added.json()["organisation_id"], added.json()["sharing"]) == (SHAKYO, None)

    # Taking part: the council reaches the case, but not the person.
    assert await name_seen_by(client, council(settings), case["id"]) is None
    assert await disclosures(client, settings, case["id"]) == []

    # The person consents to the council as well: from that consent's arrival, it sees their name.
    second = await record_consent(client, consultation_id, organisations=[SHAKYO])

    async def shown() -> str | None:
        return await name_seen_by(client, council(settings), case["id"])

    assert await eventually(shown) is not None
    parties = (await client.get(f"{CASES}/{case['id']}/parties", headers=coordinator(settings))).json()
    sharing = {p["organisation_id"]: p["sharing"] for p in parties}
    assert sharing[SHAKYO]["basis"] == "consent"
    assert sharing[SHAKYO]["reference"] == second["id"]
    assert sharing[RANRAN_OPERATOR]["reference"] != second["id"]  # still under the referral's consent
    assert (SHAKYO, "consent", second["id"], "getCase") in await disclosures(client, settings, case["id"])

    # Withdrawn: the council no longer sees the person; the window under its own consent still does.
    withdrawn = await client.post(
        f"/intake/v1/consultations/{consultation_id}/consents/{second['id']}/withdrawal",
        json={"reason": "本人の申し出"},
        headers={"If-Match": second["etag"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text

    async def hidden() -> bool:
        return await name_seen_by(client, council(settings), case["id"]) is None

    assert await eventually(hidden)
    window = bearer(settings, "window_staff", org=RANRAN_OPERATOR)
    assert await name_seen_by(client, window, case["id"]) is not None


async def test_an_emergency_sharing_shows_the_person_for_its_days_and_is_reported_to_the_municipality(
    client: httpx.AsyncClient, app: FastAPI, settings
) -> None:
    _, case = await case_under_consent_naming(client, RANRAN_OPERATOR)
    assert (await add(client, settings, case["id"])).status_code == 201
    assert await name_seen_by(client, council(settings), case["id"]) is None

    decided_at = datetime.now(UTC) - timedelta(hours=1)
    body = {
        "organisation_id": SHAKYO,
        "reason": "自宅で倒れている可能性があり、本人と連絡がつかない",
        "decided_by_name": "佐藤 花子",
        "decided_at": decided_at.isoformat(),
        "until": (DAY + timedelta(days=3)).isoformat(),
    }
    recorded = await client.post(
        f"{CASES}/{case['id']}/emergency-sharings", json=body, headers=coordinator(settings)
    )
    assert recorded.status_code == 201, recorded.text
    sharing = recorded.json()
    assert (sharing["decided_by"], sharing["acknowledged_at"]) == ("coordinator-sato", None)

    assert await name_seen_by(client, council(settings), case["id"]) is not None
    assert (SHAKYO, "emergency", sharing["id"], "getCase") in await disclosures(client, settings, case["id"])

    # Reported: the municipality finds it among those awaiting acknowledgement, and acknowledges it once.
    awaiting = await client.get(
        "/coordination/v1/emergency-sharings", params={"acknowledged": "false"}, headers=officer(settings)
    )
    assert sharing["id"] in {s["id"] for s in awaiting.json()["items"]}
    path = f"/coordination/v1/emergency-sharings/{sharing['id']}/acknowledgement"
    acknowledged = await client.post(
        path, headers={**officer(settings), "If-Match": recorded.headers["ETag"]}
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledged_by"] == "officer-tanaka"
    again = await client.post(path, headers={**officer(settings), "If-Match": acknowledged.headers["ETag"]})
    assert_problem(again, status=409, slug="already-acknowledged")
    by_coordinator = await client.post(path, headers={**coordinator(settings), "If-Match": "x"})
    assert_problem(by_coordinator, status=403, slug="forbidden")

    events = event_names(about(await coordination_outbox(app), case["id"]))
    assert events["EmergencySharingRecorded"] == 1
    (row,) = [
        r for r in about(await coordination_outbox(app), case["id"]) if "EmergencySharing" in r.event_type
    ]
    assert "倒れて" not in str(row.envelope)  # the reason (it speaks of the person) stays in coordination


async def test_an_emergency_sharing_is_refused_beyond_its_bounds(client: httpx.AsyncClient, settings) -> None:
    _, case = await case_under_consent_naming(client, RANRAN_OPERATOR)
    now = datetime.now(UTC)
    body = {
        "organisation_id": SHAKYO,  # not taking part in this case
        "reason": "緊急",
        "decided_by_name": "佐藤 花子",
        "decided_at": (now + timedelta(hours=2)).isoformat(),
        "until": (DAY + timedelta(days=30)).isoformat(),
    }
    refused = await client.post(
        f"{CASES}/{case['id']}/emergency-sharings", json=body, headers=coordinator(settings)
    )
    assert_problem(
        refused,
        status=422,
        slug="validation-error",
        fields={"organisation_id": "not_taking_part", "decided_at": "in_future", "until": "too_long"},
    )
    listed = await client.get(
        "/coordination/v1/emergency-sharings", params={"acknowledged": "false"}, headers=officer(settings)
    )
    assert case["id"] not in {s["case_id"] for s in listed.json()["items"]}


async def test_bad_party_input_names_the_field_and_saves_nothing(
    client: httpx.AsyncClient, app: FastAPI, settings
) -> None:
    _, case = await case_under_consent_naming(client)
    before = event_names(about(await coordination_outbox(app), case["id"]))
    unknown = await add(client, settings, case["id"], organisation_id="016314-nowhere")
    assert_problem(
        unknown, status=422, slug="validation-error", fields={"organisation_id": "unknown_organisation"}
    )
    other_town = await add(client, settings, case["id"], organisation_id="223417-town")
    assert_problem(
        other_town, status=422, slug="validation-error", fields={"organisation_id": "other_municipality"}
    )
    backwards = await add(client, settings, case["id"], to_on=(DAY - timedelta(days=1)).isoformat())
    assert_problem(backwards, status=422, slug="validation-error", fields={"to_on": "before_start"})
    missing = await client.post(
        f"{CASES}/{case['id']}/parties", json={"role": "x"}, headers=coordinator(settings)
    )
    assert_problem(
        missing,
        status=422,
        slug="validation-error",
        fields={"organisation_id": "missing", "from_on": "missing"},
    )

    parties = (await client.get(f"{CASES}/{case['id']}/parties", headers=coordinator(settings))).json()
    assert [p["organisation_id"] for p in parties] == [RANRAN_OPERATOR]
    assert event_names(about(await coordination_outbox(app), case["id"])) == before

    assert (await add(client, settings, case["id"])).status_code == 201
    twice = await add(client, settings, case["id"], role="別の役割")
    assert_problem(twice, status=409, slug="already-taking-part")
    by_window = await client.post(
        f"{CASES}/{case['id']}/parties",
        json={"organisation_id": WILLWORK, "role": "就労相談", "from_on": TODAY},
        headers=bearer(settings, "window_staff", org=RANRAN_OPERATOR),
    )
    assert_problem(by_window, status=403, slug="forbidden")


async def test_an_organisation_whose_part_has_ended_no_longer_reaches_the_case(
    client: httpx.AsyncClient, settings
) -> None:
    _, case = await case_under_consent_naming(client)
    added = await add(client, settings, case["id"])
    assert (await client.get(f"{CASES}/{case['id']}", headers=council(settings))).status_code == 200

    stale = await client.put(
        f"/coordination/v1/case-parties/{added.json()['id']}",
        json={"role": "見守り訪問", "from_on": TODAY},
        headers={**coordinator(settings), "If-Match": '"stale"'},
    )
    assert_problem(stale, status=412, slug="stale-write")
    yesterday = (DAY - timedelta(days=1)).isoformat()
    ended = await client.put(
        f"/coordination/v1/case-parties/{added.json()['id']}",
        json={"role": "見守り訪問", "from_on": (DAY - timedelta(days=7)).isoformat(), "to_on": yesterday},
        headers={**coordinator(settings), "If-Match": added.headers["ETag"]},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["to_on"] == yesterday
    assert (await client.get(f"{CASES}/{case['id']}", headers=council(settings))).status_code == 404
    # Ended, it may take part again: a new part, the old one kept.
    again = await add(client, settings, case["id"], role="家計相談")
    assert again.status_code == 201, again.text
    parties = (await client.get(f"{CASES}/{case['id']}/parties", headers=coordinator(settings))).json()
    assert [(p["organisation_id"], p["to_on"]) for p in parties] == [
        (RANRAN_OPERATOR, None),
        (SHAKYO, yesterday),
        (SHAKYO, None),
    ]
