"""モニタリング over the API: a record per planned date of the plan in force; what is due; a date that
passed unrecorded sends MonitoringOverdue once, however often the sweep runs. The module's tests
share one system: each works on cases of its own."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from services.coordination.monitoring.service import notice_overdue
from services.coordination.plans.models import SupportPlan
from shared.runtime import runtimes_of
from tests.api.helpers import about, assert_problem, coordination_outbox, open_case, shares_one_system
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR
from tests.support.tokens import bearer

pytestmark = shares_one_system

CASES = "/coordination/v1/cases"
TODAY = date.today()


@pytest.fixture
def coordinator(settings) -> dict[str, str]:
    return bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-monitoring")


async def plan_in_force(
    client: httpx.AsyncClient, headers: dict[str, str], dates: list[date]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case of its own, led by `headers`' coordinator, with a confirmed plan monitored on `dates`."""
    case = await open_case(client)
    etag = (await client.get(f"{CASES}/{case['id']}", headers=headers)).headers["ETag"]
    assigned = await client.post(
        f"{CASES}/{case['id']}/assignment",
        json={"coordinator": "coordinator-monitoring", "coordinator_name": "森 さん"},
        headers={**headers, "If-Match": etag},
    )
    assert assigned.status_code == 200, assigned.text
    body = {
        "drafted_on": TODAY.isoformat(),
        "long_term_goals": ["地域とつながる"],
        "items": [{"kind": "other", "organisation_id": RANRAN_OPERATOR, "what": "介護サービスの調整"}],
        "monitoring_dates": [d.isoformat() for d in dates],
    }
    plan = (await client.post(f"{CASES}/{case['id']}/plans", json=body, headers=headers)).json()
    meeting = await client.post(
        "/coordination/v1/plan-meetings",
        json={
            "held_on": TODAY.isoformat(),
            "members": [{"organisation_id": OTOFUKE_TOWN, "name": "町 担当"}],
            "decisions": [{"case_id": case["id"], "purpose": "plan_evaluation", "plan_id": plan["id"]}],
        },
        headers=headers,
    )
    approved = await client.post(
        f"/coordination/v1/plans/{plan['id']}/approval",
        json={"meeting_id": meeting.json()["id"]},
        headers={**headers, "If-Match": plan["etag"]},
    )
    assert approved.json()["status"] == "confirmed", approved.text
    return case, plan


async def test_a_monitoring_date_is_recorded_once_and_leaves_the_due_list(
    client: httpx.AsyncClient, coordinator
) -> None:
    later = TODAY + timedelta(days=30)
    case, plan = await plan_in_force(client, coordinator, [TODAY, later])
    item = plan["items"][0]["id"]
    body = {
        "due_on": TODAY.isoformat(),
        "monitored_on": TODAY.isoformat(),
        "items": [{"item_id": item, "outcome": "partly", "person_view": "月1回は外出できた"}],
    }

    recorded = await client.post(f"{CASES}/{case['id']}/monitoring", json=body, headers=coordinator)
    assert recorded.status_code == 201, recorded.text
    again = await client.post(f"{CASES}/{case['id']}/monitoring", json=body, headers=coordinator)
    assert_problem(again, status=409, slug="already-monitored")

    due = (await client.get("/coordination/v1/monitoring-due", headers=coordinator)).json()
    assert [(d["case_id"], d["due_on"]) for d in due if d["case_id"] == case["id"]] == [
        (case["id"], later.isoformat())
    ]
    work = (await client.get("/coordination/v1/work-list", headers=coordinator)).json()
    assert {(w["case_id"], w["next"], w["due_on"]) for w in work if w["case_id"] == case["id"]} == {
        (case["id"], "monitoring", later.isoformat())
    }


async def test_monitoring_input_is_checked_against_the_plan_in_force(
    client: httpx.AsyncClient, coordinator
) -> None:
    case, _plan = await plan_in_force(client, coordinator, [TODAY])
    path = f"{CASES}/{case['id']}/monitoring"
    bad = {
        "due_on": (TODAY + timedelta(days=3)).isoformat(),
        "monitored_on": (TODAY + timedelta(days=5)).isoformat(),
        "items": [{"item_id": "not-an-item", "outcome": "done"}],
    }
    assert_problem(
        await client.post(path, json=bad, headers=coordinator),
        status=422,
        slug="validation-error",
        fields={"due_on": "not_planned", "monitored_on": "in_future", "items[0].item_id": "unknown_item"},
    )
    unplanned = await open_case(client)
    no_plan = await client.post(
        f"{CASES}/{unplanned['id']}/monitoring",
        json={
            "due_on": TODAY.isoformat(),
            "monitored_on": TODAY.isoformat(),
            "items": [{"item_id": "x", "outcome": "done"}],
        },
        headers=coordinator,
    )
    assert_problem(no_plan, status=409, slug="no-plan-in-force")
    assert (await client.get(path, headers=coordinator)).json() == []


async def test_an_overdue_monitoring_date_sends_its_event_once(
    client: httpx.AsyncClient, app: FastAPI, coordinator
) -> None:
    case, plan = await plan_in_force(client, coordinator, [TODAY])
    db = runtimes_of(app)["coordination"].db
    # The plan was made, and its date set, weeks ago (as a municipality enters its records later).
    past = (TODAY - timedelta(days=10)).isoformat()
    async with db.transaction() as session:
        await session.execute(
            update(SupportPlan).where(SupportPlan.id == plan["id"]).values(monitoring_dates=[past])
        )

    now = datetime.now().astimezone()
    await notice_overdue(db, now)
    await notice_overdue(db, now + timedelta(hours=1))  # the next sweep finds it again

    names = [r.event_type.split(".")[-2] for r in about(await coordination_outbox(app), case["id"])]
    assert names.count("MonitoringOverdue") == 1
    due = (await client.get("/coordination/v1/monitoring-due?mine=false", headers=coordinator)).json()
    assert {(d["due_on"], d["overdue"]) for d in due if d["case_id"] == case["id"]} == {(past, True)}
