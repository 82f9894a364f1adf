"""Coordination's cases: list, read, and answer a referral by declining or returning it."""

from __future__ import annotations

import pytest

from shared.pagination import encode_cursor
from tests.api.helpers import (
    EN,
    assert_problem,
    case_of,
    coordination_outbox,
    event_names,
    open_case,
    referred_consultation,
)
from tests.support.builders import NAGAIZUMI, OTOFUKE
from tests.support.waiting import eventually

CASES = "/coordination/v1/cases"
MISSING = "00000000-0000-0000-0000-000000000000"


async def test_a_case_is_opened_from_a_referral_and_readable(client) -> None:
    consultation, referral = await referred_consultation(client)

    listed = await case_of(client, referral["id"])
    response = await client.get(f"{CASES}/{listed['id']}")

    assert response.status_code == 200
    case = response.json()
    assert case["status"] == "open"
    assert case["referral_id"] == referral["id"]
    assert case["consultation_id"] == consultation["id"]
    assert case["tenant_id"] == OTOFUKE
    assert case["case_number"] == listed["case_number"]
    assert case["closed_at"] is None


async def test_cases_are_listed_newest_first_and_filtered(client) -> None:
    first = await open_case(client)
    second = await open_case(client)
    await case_of(client, (await referred_consultation(client, window_code="223417-W01"))[1]["id"])

    otofuke = (await client.get(CASES, params={"tenant_id": OTOFUKE})).json()
    nagaizumi = (await client.get(CASES, params={"tenant_id": NAGAIZUMI})).json()
    by_status = (await client.get(CASES, params={"status": "declined"})).json()

    assert [c["id"] for c in otofuke["items"]] == [second["id"], first["id"]]
    assert second["case_number"].endswith("-00002") and first["case_number"].endswith("-00001")
    assert len(nagaizumi["items"]) == 1 and nagaizumi["items"][0]["case_number"].endswith("-00001")
    assert by_status["items"] == []


async def test_case_pages_cover_every_case_once(client) -> None:
    opened = [(await open_case(client))["id"] for _ in range(3)]

    first = (await client.get(CASES, params={"limit": 2})).json()
    second = (await client.get(CASES, params={"limit": 2, "cursor": first["next_cursor"]})).json()

    assert [c["id"] for c in first["items"] + second["items"]] == list(reversed(opened))
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        pytest.param({"tenant_id": "abc"}, "tenant_id", "string_pattern_mismatch", id="tenant"),
        pytest.param({"status": "closed"}, "status", "enum", id="status"),
        pytest.param({"urgency": "soon"}, "urgency", "string_pattern_mismatch", id="urgency"),
        pytest.param({"limit": "1000"}, "limit", "less_than_equal", id="limit"),
        pytest.param({"cursor": "garbage!"}, "cursor", "invalid", id="garbage cursor"),
        pytest.param({"cursor": encode_cursor(["x", "y", "z"])}, "cursor", "invalid", id="cursor arity"),
        pytest.param(
            {"cursor": encode_cursor(["2026-01-01T00:00:00", "y"])},
            "cursor",
            "invalid",
            id="cursor time without zone",
        ),
    ],
)
async def test_bad_case_queries_are_422_naming_the_parameter(client, params, field: str, code: str) -> None:
    response = await client.get(CASES, params=params)

    assert_problem(response, status=422, slug="validation-error", fields={field: code})


async def test_an_opened_range_without_a_time_zone_is_422_not_a_server_error(client) -> None:
    await open_case(client)

    response = await client.get(CASES, params={"opened_from": "2026-01-01T00:00:00"})

    assert_problem(response, status=422, slug="validation-error")
    assert "opened_from" in {e["field"] for e in response.json()["errors"]}


async def test_an_unknown_case_is_404(client) -> None:
    ja = await client.get(f"{CASES}/{MISSING}")
    en = await client.get(f"{CASES}/{MISSING}", headers=EN)

    assert assert_problem(ja, status=404, slug="case-not-found")["title"] == "ケースが見つかりません。"
    assert assert_problem(en, status=404, slug="case-not-found")["title"] == "Case not found."


# --- answering a referral -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "event"),
    [("decline", "declined", "ReferralDeclined"), ("return", "returned", "ReferralReturned")],
)
async def test_answering_closes_the_case_and_tells_the_window(client, app, answer, status, event) -> None:
    case = await open_case(client)

    response = await client.post(f"{CASES}/{case['id']}/{answer}", json={"reason": "単独の機関で対応可能"})

    assert response.status_code == 200, response.text
    answered = response.json()
    assert answered["status"] == status
    assert answered["status_reason"] == "単独の機関で対応可能"
    assert answered["closed_at"] is not None
    assert (await client.get(f"{CASES}/{case['id']}")).json()["status"] == status
    rows = await coordination_outbox(app)
    assert event_names(rows) == {"CaseOpened": 1, event: 1}
    assert rows[-1].key == answered["referral_id"]

    async def window_sees() -> dict | None:
        seen = (await client.get(f"/intake/v1/referrals/{answered['referral_id']}")).json()
        return seen if seen["status"] == status else None

    assert (await eventually(window_sees))["status_reason"] == "単独の機関で対応可能"


@pytest.mark.parametrize(
    ("first", "second"), [("decline", "decline"), ("decline", "return"), ("return", "decline")]
)
async def test_a_case_is_answered_only_once(client, app, first: str, second: str) -> None:
    case = await open_case(client)
    done = await client.post(f"{CASES}/{case['id']}/{first}", json={"reason": "最初の回答"})
    assert done.status_code == 200

    again = await client.post(f"{CASES}/{case['id']}/{second}", json={"reason": "二度目"}, headers=EN)

    body = assert_problem(again, status=409, slug="invalid-case-transition")
    assert body["title"] == "The case's status does not allow this."
    kept = (await client.get(f"{CASES}/{case['id']}")).json()
    assert kept["status"] == done.json()["status"]
    assert kept["status_reason"] == "最初の回答"
    assert sum(event_names(await coordination_outbox(app)).values()) == 2


@pytest.mark.parametrize("answer", ["decline", "return"])
@pytest.mark.parametrize(
    ("body", "code"),
    [({"reason": ""}, "string_too_short"), ({"reason": "   "}, "string_too_short"), ({}, "missing")],
)
async def test_an_answer_needs_a_reason(client, app, answer: str, body: dict, code: str) -> None:
    case = await open_case(client)

    response = await client.post(f"{CASES}/{case['id']}/{answer}", json=body)

    assert_problem(response, status=422, slug="validation-error", fields={"reason": code})
    assert (await client.get(f"{CASES}/{case['id']}")).json()["status"] == "open"
    assert event_names(await coordination_outbox(app)) == {"CaseOpened": 1}


async def test_an_answer_with_unknown_fields_is_422(client, app) -> None:
    case = await open_case(client)

    response = await client.post(f"{CASES}/{case['id']}/decline", json={"reason": "x", "by": "誰か"})

    assert_problem(response, status=422, slug="validation-error", fields={"by": "extra_forbidden"})
    assert (await client.get(f"{CASES}/{case['id']}")).json()["status"] == "open"


@pytest.mark.parametrize("answer", ["decline", "return"])
async def test_answering_an_unknown_case_is_404(client, app, answer: str) -> None:
    response = await client.post(f"{CASES}/{MISSING}/{answer}", json={"reason": "理由"})

    assert_problem(response, status=404, slug="case-not-found")
    assert await coordination_outbox(app) == []
