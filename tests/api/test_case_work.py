"""The lead coordinator and the work list: assigned and reassigned with the history kept; my cases
with the next thing due, oldest due first. The module's tests share one system; each coordinator
here is a subject of its own."""

from __future__ import annotations

from datetime import date

import httpx
from fastapi import FastAPI

from tests.api.helpers import about, assert_problem, coordination_outbox, open_case, shares_one_system
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR
from tests.support.tokens import bearer

pytestmark = shares_one_system

CASES = "/coordination/v1/cases"
TODAY = date.today().isoformat()


def coordinator(settings, subject: str) -> dict[str, str]:
    return bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject=subject)


async def assign(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, subject: str
) -> httpx.Response:
    etag = (await client.get(f"{CASES}/{case_id}", headers=headers)).headers["ETag"]
    return await client.post(
        f"{CASES}/{case_id}/assignment",
        json={"coordinator": subject, "coordinator_name": f"{subject} さん"},
        headers={**headers, "If-Match": etag},
    )


async def test_a_case_is_assigned_and_reassigned_with_its_history(
    client: httpx.AsyncClient, app: FastAPI, settings
) -> None:
    lead = coordinator(settings, "coordinator-ito")
    case = await open_case(client)

    first = await assign(client, lead, case["id"], "coordinator-ito")
    assert first.status_code == 200, first.text
    assert first.json()["lead_coordinator"] == "coordinator-ito"
    second = await assign(client, lead, case["id"], "coordinator-kato")
    assert second.json()["lead_coordinator"] == "coordinator-kato"

    history = (await client.get(f"{CASES}/{case['id']}/assignments", headers=lead)).json()
    assert [(a["coordinator"], a["assigned_by"]) for a in history] == [
        ("coordinator-ito", "coordinator-ito"),
        ("coordinator-kato", "coordinator-ito"),
    ]
    events = [r.event_type.split(".")[-2] for r in about(await coordination_outbox(app), case["id"])]
    assert events == ["CasePartyAdded", "CaseAssigned", "CaseAssigned"]  # the referring window at opening
    window = bearer(settings, "window_staff", org=RANRAN_OPERATOR)
    assert_problem(await assign(client, window, case["id"], "x"), status=403, slug="forbidden")


async def test_my_work_list_shows_the_next_thing_due_oldest_first(
    client: httpx.AsyncClient, settings
) -> None:
    me = coordinator(settings, "coordinator-work-list")
    unplanned = await open_case(client)
    planned = await open_case(client)
    someone_elses = await open_case(client)
    for case in (unplanned, planned):
        assert (await assign(client, me, case["id"], "coordinator-work-list")).status_code == 200
    assert (await assign(client, me, someone_elses["id"], "coordinator-other")).status_code == 200
    drafted = await client.post(
        f"{CASES}/{planned['id']}/plans",
        json={
            "drafted_on": TODAY,
            "long_term_goals": ["地域とつながる"],
            "items": [{"kind": "other", "organisation_id": RANRAN_OPERATOR, "what": "介護サービスの調整"}],
        },
        headers=me,
    )
    assert drafted.status_code == 201, drafted.text

    listed = (await client.get("/coordination/v1/work-list", headers=me)).json()

    assert {(i["case_id"], i["next"]) for i in listed} == {
        (unplanned["id"], "assessment"),  # nothing assessed yet
        (planned["id"], "plan_meeting"),
    }
    assert [i["due_on"] for i in listed] == sorted(i["due_on"] for i in listed)
