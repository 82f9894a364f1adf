"""Coordination's cases: list, read, and answer a referral by declining or returning it.

The module's tests share one system: each opens its own cases and looks at the outbox rows of its own
referrals only. Tests that read whole lists or case numbers of a municipality use Sakai (052124),
which only one test uses, or a system of their own.
"""

from __future__ import annotations

import pytest

from shared.pagination import encode_cursor
from tests.api.helpers import (
    CASES,
    CONSULTATIONS,
    EN,
    NAGAIZUMI_WINDOW,
    about,
    assert_problem,
    case_etag,
    case_of,
    coordination_outbox,
    event_names,
    nagaizumi_staff,
    open_case,
    own_system,
    record_consent,
    record_consultation,
    refer,
    referred_consultation,
    shares_one_system,
)
from tests.support.builders import NAGAIZUMI, OTOFUKE, RANRAN_OPERATOR
from tests.support.tokens import bearer
from tests.support.waiting import eventually

pytestmark = shares_one_system

SAKAI = "052124"
SAKAI_WINDOW, SAKAI_CITY = f"{SAKAI}-houkatsu-center", f"{SAKAI}-city"

MISSING = "00000000-0000-0000-0000-000000000000"


async def events_of(client, app, case: dict) -> list:
    """Coordination's outbox rows about the case's referral (its events are keyed by the referral)."""
    referral_id = (await client.get(f"{CASES}/{case['id']}")).json()["referral_id"]
    return about(await coordination_outbox(app), referral_id)


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
    # The referring window's organisation is the first party to the case.
    assert case["referring_organisation_id"] == RANRAN_OPERATOR
    assert case["parties"] == [RANRAN_OPERATOR]
    assert case["tax_information"] is None  # the consent does not name the `tax` data class
    assert case["version"] == 1
    assert response.headers["etag"] == case["etag"] == f'"{case["id"]}.v1"'


@own_system  # the first cases of Otofuke and Nagaizumi, numbered from 1
async def test_cases_are_listed_newest_first_and_each_municipality_sees_its_own(client, settings) -> None:
    first = await open_case(client)
    second = await open_case(client)
    nagaizumi = nagaizumi_staff(settings)
    _, referral = await referred_consultation(client, headers=nagaizumi, window_code=NAGAIZUMI_WINDOW)
    theirs = await case_of(client, referral["id"], headers=nagaizumi)

    otofuke_page = (await client.get(CASES)).json()
    nagaizumi_page = (await client.get(CASES, headers=nagaizumi)).json()
    by_status = (await client.get(CASES, params={"status": "declined"})).json()

    assert [c["id"] for c in otofuke_page["items"]] == [second["id"], first["id"]]
    assert {c["tenant_id"] for c in otofuke_page["items"]} == {OTOFUKE}
    assert second["case_number"].endswith("-00002") and first["case_number"].endswith("-00001")
    assert [c["id"] for c in nagaizumi_page["items"]] == [theirs["id"]]
    assert theirs["tenant_id"] == NAGAIZUMI
    assert theirs["case_number"].endswith("-00001")  # each municipality numbers its own cases
    assert by_status["items"] == []


async def test_the_tenant_comes_from_the_token_not_a_query_parameter(client, settings) -> None:
    sakai = bearer(settings, tenant=SAKAI, org=SAKAI_CITY)  # the only test with cases in Sakai
    _, referral = await referred_consultation(client, headers=sakai, window_code=SAKAI_WINDOW)
    mine = await case_of(client, referral["id"], headers=sakai)
    await open_case(client)  # one of Otofuke's too

    # tenant_id is no longer a parameter: asking for another municipality still lists one's own.
    response = await client.get(CASES, params={"tenant_id": OTOFUKE}, headers=sakai)

    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json()["items"]] == [mine["id"]]


async def test_another_municipalitys_case_is_not_found_and_cannot_be_answered(client, app, settings) -> None:
    ours = await open_case(client)
    nagaizumi = nagaizumi_staff(settings)
    _, referral = await referred_consultation(client, headers=nagaizumi, window_code=NAGAIZUMI_WINDOW)
    theirs = await case_of(client, referral["id"], headers=nagaizumi)
    our_etag = await case_etag(client, ours["id"])

    assert_problem(await client.get(f"{CASES}/{theirs['id']}"), status=404, slug="case-not-found")
    assert_problem(
        await client.get(f"{CASES}/{ours['id']}", headers=nagaizumi), status=404, slug="case-not-found"
    )
    assert (await client.get(CASES, params={"referral_id": referral["id"]})).json()["items"] == []
    declined = await client.post(
        f"{CASES}/{ours['id']}/decline",
        json={"reason": "他の町から"},
        headers={**nagaizumi, "If-Match": our_etag},
    )

    assert_problem(declined, status=404, slug="case-not-found")
    assert (await client.get(f"{CASES}/{ours['id']}")).json()["status"] == "open"
    rows = await events_of(client, app, ours) + about(await coordination_outbox(app), referral["id"])
    assert event_names(rows) == {"CaseOpened": 2}


@own_system  # pages through every case of the municipality
async def test_case_pages_cover_every_case_once(client) -> None:
    opened = [(await open_case(client))["id"] for _ in range(3)]

    first = (await client.get(CASES, params={"limit": 2})).json()
    second = (await client.get(CASES, params={"limit": 2, "cursor": first["next_cursor"]})).json()

    assert [c["id"] for c in first["items"] + second["items"]] == list(reversed(opened))
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
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
    etag = await case_etag(client, case["id"])

    response = await client.post(
        f"{CASES}/{case['id']}/{answer}", json={"reason": "単独の機関で対応可能"}, headers={"If-Match": etag}
    )

    assert response.status_code == 200, response.text
    answered = response.json()
    assert answered["status"] == status
    assert answered["status_reason"] == "単独の機関で対応可能"
    assert answered["closed_at"] is not None
    assert answered["version"] == 2
    assert response.headers["etag"] == answered["etag"] != etag
    assert (await client.get(f"{CASES}/{case['id']}")).json()["status"] == status
    rows = about(await coordination_outbox(app), answered["referral_id"])
    assert event_names(rows) == {"CaseOpened": 1, event: 1}
    assert event_names(rows[-1:]) == {event: 1}

    async def window_sees() -> dict | None:
        seen = (await client.get(f"/intake/v1/referrals/{answered['referral_id']}")).json()
        return seen if seen["status"] == status else None

    assert (await eventually(window_sees))["status_reason"] == "単独の機関で対応可能"


@pytest.mark.parametrize(
    ("first", "second"), [("decline", "decline"), ("decline", "return"), ("return", "decline")]
)
async def test_a_case_is_answered_only_once(client, app, first: str, second: str) -> None:
    case = await open_case(client)
    done = await client.post(
        f"{CASES}/{case['id']}/{first}",
        json={"reason": "最初の回答"},
        headers={"If-Match": await case_etag(client, case["id"])},
    )
    assert done.status_code == 200, done.text

    # Read after the first answer, so the refusal is about the status, not a stale read.
    again = await client.post(
        f"{CASES}/{case['id']}/{second}",
        json={"reason": "二度目"},
        headers={**EN, "If-Match": done.headers["etag"]},
    )

    body = assert_problem(again, status=409, slug="invalid-case-transition")
    assert body["title"] == "The case's status does not allow this."
    kept = (await client.get(f"{CASES}/{case['id']}")).json()
    assert kept["status"] == done.json()["status"]
    assert kept["status_reason"] == "最初の回答"
    assert kept["etag"] == done.headers["etag"]
    assert sum(event_names(await events_of(client, app, case)).values()) == 2


@pytest.mark.parametrize("answer", ["decline", "return"])
async def test_an_answer_without_if_match_is_428_and_changes_nothing(client, app, answer: str) -> None:
    case = await open_case(client)

    response = await client.post(f"{CASES}/{case['id']}/{answer}", json={"reason": "理由"})

    assert_problem(response, status=428, slug="precondition-required", fields={"If-Match": "missing"})
    assert (await client.get(f"{CASES}/{case['id']}")).json()["status"] == "open"
    assert event_names(await events_of(client, app, case)) == {"CaseOpened": 1}


@pytest.mark.parametrize("answer", ["decline", "return"])
async def test_an_answer_from_a_stale_read_is_412_and_changes_nothing(client, app, answer: str) -> None:
    consultation = await record_consultation(client)
    await record_consent(client, consultation["id"])
    case = await case_of(client, (await refer(client, consultation["id"]))["id"])
    read_before = await case_etag(client, case["id"])
    # Meanwhile the person withdraws their consent, and coordination notes it on the case.
    consents = f"{CONSULTATIONS}/{consultation['id']}/consents"
    (consent,) = (await client.get(consents)).json()
    withdrawn = await client.post(
        f"{consents}/{consent['id']}/withdrawal", json={}, headers={"If-Match": consent["etag"]}
    )
    assert withdrawn.status_code == 200, withdrawn.text

    async def noted() -> str | None:
        current = (await client.get(f"{CASES}/{case['id']}")).json()
        return current["etag"] if current["consent_withdrawn_at"] else None

    current_etag = await eventually(noted)

    stale = await client.post(
        f"{CASES}/{case['id']}/{answer}", json={"reason": "理由"}, headers={"If-Match": read_before}
    )

    body = assert_problem(stale, status=412, slug="stale-write")
    assert body["current_etag"] == current_etag != read_before
    assert (await client.get(f"{CASES}/{case['id']}")).json()["status"] == "open"
    assert event_names(await events_of(client, app, case)) == {"CaseOpened": 1}
    fresh = await client.post(
        f"{CASES}/{case['id']}/{answer}", json={"reason": "理由"}, headers={"If-Match": current_etag}
    )
    assert fresh.status_code == 200, fresh.text


@pytest.mark.parametrize("answer", ["decline", "return"])
@pytest.mark.parametrize(
    ("body", "code"),
    [({"reason": ""}, "string_too_short"), ({"reason": "   "}, "string_too_short"), ({}, "missing")],
)
async def test_an_answer_needs_a_reason(client, app, answer: str, body: dict, code: str) -> None:
    case = await open_case(client)
    etag = await case_etag(client, case["id"])

    response = await client.post(f"{CASES}/{case['id']}/{answer}", json=body, headers={"If-Match": etag})

    assert_problem(response, status=422, slug="validation-error", fields={"reason": code})
    assert (await client.get(f"{CASES}/{case['id']}")).json()["status"] == "open"
    assert event_names(await events_of(client, app, case)) == {"CaseOpened": 1}


async def test_an_answer_with_unknown_fields_is_422(client, app) -> None:
    case = await open_case(client)
    etag = await case_etag(client, case["id"])

    response = await client.post(
        f"{CASES}/{case['id']}/decline", json={"reason": "x", "by": "誰か"}, headers={"If-Match": etag}
    )

    assert_problem(response, status=422, slug="validation-error", fields={"by": "extra_forbidden"})
    assert (await client.get(f"{CASES}/{case['id']}")).json()["status"] == "open"


@pytest.mark.parametrize("answer", ["decline", "return"])
async def test_answering_an_unknown_case_is_404(client, app, answer: str) -> None:
    # Every referral of this module's tests has its case opened before the test ends: no event is
    # on its way to coordination, whose outbox only a request can grow now.
    before = len(await coordination_outbox(app))

    response = await client.post(f"{CASES}/{MISSING}/{answer}", json={"reason": "理由"})

    assert_problem(response, status=404, slug="case-not-found")
    assert len(await coordination_outbox(app)) == before
