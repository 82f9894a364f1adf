"""支援プラン over the API: drafted by the coordinator, evaluated at a plan meeting (重層的支援会議),
approved, decided by the municipality (支援決定) and confirmed, then re-planned and reported; and
the refusals, each a 4xx naming the field, with nothing saved and no event. The rules themselves
are tabled in tests/unit/test_plan_rules.py; here each is shown wired to its route.

The module's tests share one system: each works on cases of its own."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.helpers import (
    about,
    assert_problem,
    coordination_outbox,
    event_names,
    open_case,
    shares_one_system,
)
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK
from tests.support.tokens import bearer

pytestmark = shares_one_system

SHAKYO = "016314-shakyo"  # 音更町社会福祉協議会: carries the outreach item
PLANS = "/coordination/v1/plans"
MEETINGS = "/coordination/v1/plan-meetings"
JST = timezone(timedelta(hours=9))
# Fixed once for the module: every date of a test is relative to it, even across midnight.
DAY = date.today()
TODAY = DAY.isoformat()  # never later than today in Japan


@pytest.fixture
def coordinator(settings) -> dict[str, str]:
    return bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-sato")


@pytest.fixture
def officer(settings) -> dict[str, str]:
    return bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer-tanaka")


def plan_body(*, outreach: bool = True, **overrides: Any) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {
            "kind": "other",
            "organisation_id": RANRAN_OPERATOR,
            "what": "母の介護サービスの調整",
            "frequency": "月1回",
        }
    ]
    if outreach:
        items.append(
            {
                "kind": "outreach",
                "organisation_id": SHAKYO,
                "what": "自宅訪問による関係づくり",
                "frequency": "週1回",
                "starts_on": TODAY,
            }
        )
    body: dict[str, Any] = {
        "drafted_on": TODAY,
        "person_wishes": "母の介護を続けながら、少しずつ外に出たい",
        "long_term_goals": ["地域の活動に参加し、人とのつながりを持てる"],
        "short_term_goals": ["月に2回、支援者と外出する"],
        "items": items,
        "monitoring_dates": [(DAY + timedelta(days=30)).isoformat()],
    }
    body.update(overrides)
    return body


def members(*orgs: str) -> list[dict[str, str]]:
    return [{"organisation_id": org, "name": f"{org} 担当"} for org in orgs]


async def meeting_for(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    case_id: str,
    plan_id: str,
    purpose: str = "plan_evaluation",
) -> str:
    response = await client.post(
        MEETINGS,
        json={
            "held_on": TODAY,
            "members": members(OTOFUKE_TOWN, SHAKYO, RANRAN_OPERATOR),
            "minutes": "目標と役割分担を確認し、了承した。",
            "decisions": [{"case_id": case_id, "purpose": purpose, "plan_id": plan_id}],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def drafted(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, **kwargs: Any
) -> httpx.Response:
    response = await client.post(
        f"/coordination/v1/cases/{case_id}/plans", json=plan_body(**kwargs), headers=headers
    )
    assert response.status_code == 201, response.text
    return response


async def test_a_plan_from_draft_to_confirmation_and_a_re_plan_reported(
    client: httpx.AsyncClient, app: FastAPI, coordinator, officer
) -> None:
    case = await open_case(client)
    plan = (await drafted(client, coordinator, case["id"])).json()
    assert (plan["status"], plan["number"], plan["replaces_id"]) == ("drafting", 1, None)
    assert plan["confirmation_path"] == "support_decision"

    meeting_id = await meeting_for(client, coordinator, case["id"], plan["id"])
    approved = await client.post(
        f"{PLANS}/{plan['id']}/approval",
        json={"meeting_id": meeting_id},
        headers={**coordinator, "If-Match": plan["etag"]},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approvals"][0]["meeting_id"] == meeting_id

    items = {i["kind"]: i["id"] for i in plan["items"]}
    decided = await client.post(
        f"{PLANS}/{plan['id']}/support-decision",
        json={
            "decided_on": TODAY,
            "decisions": [{"item_id": items["outreach"], "answer": "approve"}],
            "reviewed": [items["other"]],
        },
        headers={**officer, "If-Match": approved.headers["ETag"]},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "confirmed"
    assert decided.json()["support_decisions"][0]["decided_by"] == "officer-tanaka"
    assert (await client.get(f"/coordination/v1/cases/{case['id']}", headers=coordinator)).json()[
        "status"
    ] == ("in_support")

    # 再プラン: the outreach ends; a plan with other support only is confirmed by the meeting, reported.
    replan = (await drafted(client, coordinator, case["id"], outreach=False)).json()
    assert (replan["number"], replan["replaces_id"]) == (2, plan["id"])
    re_meeting = await meeting_for(client, coordinator, case["id"], replan["id"], purpose="re_plan")
    confirmed = await client.post(
        f"{PLANS}/{replan['id']}/approval",
        json={"meeting_id": re_meeting},
        headers={**coordinator, "If-Match": replan["etag"]},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["confirmation_path"]) == ("confirmed", "report")
    assert confirmed.json()["reported_at"] is not None
    acknowledged = await client.post(
        f"{PLANS}/{replan['id']}/report-acknowledgement",
        headers={**officer, "If-Match": confirmed.headers["ETag"]},
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["report_acknowledged_at"] is not None

    plans = (await client.get(f"/coordination/v1/cases/{case['id']}/plans", headers=coordinator)).json()
    assert [(p["number"], p["status"]) for p in plans] == [(1, "superseded"), (2, "confirmed")]
    rows = about(await coordination_outbox(app), case["id"])
    # The referring window takes part from the opening; the outreach item's council joins the case
    # when the plan it has an item in is confirmed (らんらん, the other item's, takes part already).
    assert [row.event_type.split(".")[-2] for row in rows] == [
        "CasePartyAdded",
        "PlanDrafted",
        "PlanApproved",
        "SupportDecided",
        "CasePartyAdded",
        "PlanConfirmed",
        "PlanDrafted",
        "PlanApproved",
        "PlanConfirmed",
        "PlanReported",
    ]
    first_confirmation = next(r for r in rows if r.event_type.endswith("PlanConfirmed.v1"))
    (item,) = first_confirmation.envelope["data"]["items"]
    assert (item["kind"], item["organisation_id"]) == ("outreach", SHAKYO)
    # The consent names no organisation (the agencies the support needs): the council gets the person.
    assert item["person"]["name"] and item["person_wishes"]


async def test_a_refused_item_sends_the_plan_back_and_a_confirmed_plan_is_not_edited(
    client: httpx.AsyncClient, app: FastAPI, coordinator, officer
) -> None:
    case = await open_case(client)
    plan = (await drafted(client, coordinator, case["id"])).json()
    meeting_id = await meeting_for(client, coordinator, case["id"], plan["id"])
    approved = await client.post(
        f"{PLANS}/{plan['id']}/approval",
        json={"meeting_id": meeting_id},
        headers={**coordinator, "If-Match": plan["etag"]},
    )
    items = {i["kind"]: i["id"] for i in plan["items"]}
    refused = await client.post(
        f"{PLANS}/{plan['id']}/support-decision",
        json={
            "decided_on": TODAY,
            "decisions": [
                {"item_id": items["outreach"], "answer": "refuse", "reason": "社協の訪問体制が整わない"}
            ],
            "reviewed": [items["other"]],
        },
        headers={**officer, "If-Match": approved.headers["ETag"]},
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "drafting"
    revised = await client.put(
        f"{PLANS}/{plan['id']}",
        json=plan_body(outreach=False),
        headers={**coordinator, "If-Match": refused.headers["ETag"]},
    )
    assert revised.status_code == 200, revised.text
    # The refusal stays on record, tied to the version it decided.
    assert revised.json()["support_decisions"][0]["confirmed"] is False

    # The old meeting saw the plan before the change: it no longer approves it.
    stale = await client.post(
        f"{PLANS}/{plan['id']}/approval",
        json={"meeting_id": meeting_id},
        headers={**coordinator, "If-Match": revised.headers["ETag"]},
    )
    assert_problem(stale, status=422, slug="no-meeting-decided", fields={"meeting_id": "plan_changed"})
    new_meeting = await meeting_for(client, coordinator, case["id"], plan["id"])
    confirmed = await client.post(
        f"{PLANS}/{plan['id']}/approval",
        json={"meeting_id": new_meeting},
        headers={**coordinator, "If-Match": revised.headers["ETag"]},
    )
    assert confirmed.json()["status"] == "confirmed"

    before = event_names(about(await coordination_outbox(app), case["id"]))
    edit = await client.put(
        f"{PLANS}/{plan['id']}",
        json=plan_body(outreach=False),
        headers={**coordinator, "If-Match": confirmed.headers["ETag"]},
    )
    assert_problem(edit, status=409, slug="plan-not-editable")
    decision_on_reported = await client.post(
        f"{PLANS}/{plan['id']}/support-decision",
        json={"decided_on": TODAY, "decisions": [{"item_id": items["other"], "answer": "approve"}]},
        headers={**officer, "If-Match": confirmed.headers["ETag"]},
    )
    assert_problem(
        decision_on_reported,
        status=422,
        slug="support-decision-not-expected",
        fields={"plan_id": "nothing_to_decide"},
    )
    assert event_names(about(await coordination_outbox(app), case["id"])) == before


async def test_approval_needs_a_meeting_that_evaluated_the_plan_with_the_right_members(
    client: httpx.AsyncClient, app: FastAPI, coordinator
) -> None:
    case = await open_case(client)
    plan = (await drafted(client, coordinator, case["id"])).json()
    headers = {**coordinator, "If-Match": plan["etag"]}
    other_case = await open_case(client)
    elsewhere = await client.post(
        MEETINGS,
        json={
            "held_on": TODAY,
            "members": members(OTOFUKE_TOWN),
            "decisions": [{"case_id": other_case["id"], "purpose": "termination"}],
        },
        headers=coordinator,
    )
    assert elsewhere.status_code == 201, elsewhere.text

    no_meeting = await client.post(
        f"{PLANS}/{plan['id']}/approval", json={"meeting_id": elsewhere.json()["id"]}, headers=headers
    )
    assert_problem(no_meeting, status=422, slug="no-meeting-decided", fields={"meeting_id": "no_meeting"})

    without_operator = await client.post(
        MEETINGS,
        json={
            "held_on": TODAY,
            "members": members(OTOFUKE_TOWN, RANRAN_OPERATOR),
            "decisions": [{"case_id": case["id"], "purpose": "plan_evaluation", "plan_id": plan["id"]}],
        },
        headers=coordinator,
    )
    assert_problem(
        without_operator, status=422, slug="validation-error", fields={"members": "outreach_operator_missing"}
    )
    without_town = await client.post(
        MEETINGS,
        json={"held_on": TODAY, "members": members(SHAKYO, RANRAN_OPERATOR)},
        headers=coordinator,
    )
    assert_problem(
        without_town, status=422, slug="validation-error", fields={"members": "municipality_missing"}
    )
    wrong_purpose = await client.post(
        MEETINGS,
        json={
            "held_on": TODAY,
            "members": members(OTOFUKE_TOWN, SHAKYO),
            "decisions": [{"case_id": case["id"], "purpose": "re_plan", "plan_id": plan["id"]}],
        },
        headers=coordinator,
    )
    assert wrong_purpose.status_code == 201, wrong_purpose.text
    refused = await client.post(
        f"{PLANS}/{plan['id']}/approval", json={"meeting_id": wrong_purpose.json()["id"]}, headers=headers
    )
    assert_problem(refused, status=422, slug="no-meeting-decided", fields={"meeting_id": "wrong_purpose"})
    # The opening's referring window, and the draft: nothing of the refused approvals.
    assert event_names(about(await coordination_outbox(app), case["id"])) == {
        "CasePartyAdded": 1,
        "PlanDrafted": 1,
    }


async def test_bad_plan_input_names_the_field_and_saves_nothing(
    client: httpx.AsyncClient, app: FastAPI, coordinator, settings
) -> None:
    case = await open_case(client)
    path = f"/coordination/v1/cases/{case['id']}/plans"
    tomorrow = (datetime.now(JST).date() + timedelta(days=1)).isoformat()  # tomorrow in Japan
    bad = plan_body()
    bad["items"][0]["organisation_id"] = "016314-nowhere"
    bad["items"][1]["organisation_id"] = "223417-town"
    bad["items"][1]["ends_on"] = (DAY - timedelta(days=1)).isoformat()  # before its starts_on (DAY)
    bad["monitoring_dates"] = [(DAY - timedelta(days=3)).isoformat()]

    response = await client.post(path, json=bad, headers=coordinator)
    assert_problem(
        response,
        status=422,
        slug="validation-error",
        fields={
            "items[0].organisation_id": "unknown_organisation",
            "items[1].organisation_id": "other_municipality",
            "items[1].ends_on": "before_start",
            "monitoring_dates[0]": "before_plan",
        },
    )
    future = await client.post(path, json=plan_body(drafted_on=tomorrow), headers=coordinator)
    assert_problem(future, status=422, slug="validation-error", fields={"drafted_on": "in_future"})
    no_items = await client.post(path, json=plan_body(items=[]), headers=coordinator)
    assert_problem(no_items, status=422, slug="validation-error", fields={"items": "too_short"})
    window = await client.post(path, json=plan_body(), headers=bearer(settings, "window_staff", org=WILLWORK))
    assert_problem(window, status=403, slug="forbidden")
    listed = await client.get(path, headers=coordinator)
    assert listed.json() == []
    assert event_names(about(await coordination_outbox(app), case["id"])) == {
        "CasePartyAdded": 1
    }  # the opening's

    first = await drafted(client, coordinator, case["id"])
    second = await client.post(path, json=plan_body(), headers=coordinator)
    assert_problem(second, status=409, slug="plan-undecided")
    stale = await client.put(
        f"{PLANS}/{first.json()['id']}", json=plan_body(), headers={**coordinator, "If-Match": '"x.v0"'}
    )
    assert_problem(stale, status=412, slug="stale-write")
