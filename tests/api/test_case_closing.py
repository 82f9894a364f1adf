"""終結, 中断 and 再開 over the API: each only after its plan meeting's decision (and, for a
suspension, recorded contact attempts); a note never reopens a case; reopening starts a new cycle
whose next plan is a first plan again. The rules are tabled in tests/unit/test_plan_rules.py.

The module's tests share one system: each works on cases of its own."""

from __future__ import annotations

from datetime import date
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
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR
from tests.support.tokens import bearer

pytestmark = shares_one_system

TODAY = date.today().isoformat()
CASES = "/coordination/v1/cases"


@pytest.fixture
def coordinator(settings) -> dict[str, str]:
    return bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-sato")


async def decided(client: httpx.AsyncClient, headers: dict[str, str], case_id: str, purpose: str) -> str:
    response = await client.post(
        "/coordination/v1/plan-meetings",
        json={
            "held_on": TODAY,
            "members": [{"organisation_id": OTOFUKE_TOWN, "name": "町 担当"}],
            "decisions": [{"case_id": case_id, "purpose": purpose}],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def note(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, kind: str, **extra: Any
) -> httpx.Response:
    body = {"occurred_on": TODAY, "kind": kind, "summary": "自宅を訪問したが応答なし", **extra}
    return await client.post(f"{CASES}/{case_id}/notes", json=body, headers=headers)


async def etag_of_case(client: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> str:
    return (await client.get(f"{CASES}/{case_id}", headers=headers)).headers["ETag"]


async def test_suspension_needs_contact_attempts_then_reopening_starts_a_new_cycle(
    client: httpx.AsyncClient, app: FastAPI, coordinator
) -> None:
    case = await open_case(client)
    meeting_id = await decided(client, coordinator, case["id"], "suspension")
    headers = {**coordinator, "If-Match": await etag_of_case(client, coordinator, case["id"])}

    refused = await client.post(
        f"{CASES}/{case['id']}/suspension",
        json={"meeting_id": meeting_id, "reason": "連絡が取れない"},
        headers=headers,
    )
    assert_problem(
        refused, status=422, slug="contact-not-attempted", fields={"case_id": "no_contact_attempts"}
    )

    assert (
        await note(client, coordinator, case["id"], "contact_attempt", organisation_id=RANRAN_OPERATOR)
    ).status_code == 201
    suspended = await client.post(
        f"{CASES}/{case['id']}/suspension",
        json={"meeting_id": meeting_id, "reason": "連絡が取れない"},
        headers=headers,
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"

    # A note on a suspended case is kept, and does not reopen it.
    assert (await note(client, coordinator, case["id"], "information")).status_code == 201
    assert (await client.get(f"{CASES}/{case['id']}", headers=coordinator)).json()["status"] == "suspended"

    reopened = await client.post(
        f"{CASES}/{case['id']}/reopening",
        json={"reason": "本人から電話があった"},
        headers={**coordinator, "If-Match": suspended.headers["ETag"]},
    )
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["cycle"]) == ("open", 2)
    notes = (await client.get(f"{CASES}/{case['id']}/notes", headers=coordinator)).json()
    assert [n["kind"] for n in notes] == ["contact_attempt", "information"]
    events = [r.event_type.split(".")[-2] for r in about(await coordination_outbox(app), case["id"])]
    assert events == ["CasePartyAdded", "CaseSuspended", "CaseReopened"]  # the referring window at opening


async def test_termination_needs_a_termination_meeting(
    client: httpx.AsyncClient, app: FastAPI, coordinator
) -> None:
    case = await open_case(client)
    etag = await etag_of_case(client, coordinator, case["id"])
    headers = {**coordinator, "If-Match": etag}
    body = {"goals": [{"goal": "地域の活動に参加する", "attainment": "partly"}]}
    suspension_meeting = await decided(client, coordinator, case["id"], "suspension")

    wrong = await client.post(
        f"{CASES}/{case['id']}/termination", json={**body, "meeting_id": suspension_meeting}, headers=headers
    )
    assert_problem(wrong, status=422, slug="no-meeting-decided", fields={"meeting_id": "wrong_purpose"})
    unknown = await client.post(
        f"{CASES}/{case['id']}/termination", json={**body, "meeting_id": "no-such"}, headers=headers
    )
    assert_problem(unknown, status=422, slug="no-meeting-decided", fields={"meeting_id": "no_meeting"})
    assert event_names(about(await coordination_outbox(app), case["id"])) == {
        "CasePartyAdded": 1
    }  # the opening's

    meeting_id = await decided(client, coordinator, case["id"], "termination")
    ended = await client.post(
        f"{CASES}/{case['id']}/termination", json={**body, "meeting_id": meeting_id}, headers=headers
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "terminated"
    again = await client.post(
        f"{CASES}/{case['id']}/termination",
        json={**body, "meeting_id": meeting_id},
        headers={**coordinator, "If-Match": ended.headers["ETag"]},
    )
    assert_problem(again, status=409, slug="invalid-case-transition")
    stale = await client.post(f"{CASES}/{case['id']}/reopening", json={"reason": "再相談"}, headers=headers)
    assert_problem(stale, status=412, slug="stale-write")


async def test_a_note_names_a_known_organisation_and_a_past_day(
    client: httpx.AsyncClient, coordinator
) -> None:
    case = await open_case(client)
    unknown = await note(client, coordinator, case["id"], "call", organisation_id="016314-nowhere")
    assert_problem(
        unknown, status=422, slug="validation-error", fields={"organisation_id": "unknown_organisation"}
    )
    future = await note(client, coordinator, case["id"], "call", occurred_on="2999-01-01")
    assert_problem(future, status=422, slug="validation-error", fields={"occurred_on": "in_future"})
    kind = await note(client, coordinator, case["id"], "gossip")
    assert_problem(kind, status=422, slug="validation-error", fields={"kind": "enum"})
    assert (await client.get(f"{CASES}/{case['id']}/notes", headers=coordinator)).json() == []
