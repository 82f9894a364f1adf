"""アセスメント are kept version by version; the timeline merges a case's records in the order they
happened (by the day, not the day they were typed in). The module's tests share one system."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from tests.api.helpers import assert_problem, open_case, shares_one_system
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR
from tests.support.tokens import bearer

pytestmark = shares_one_system

CASES = "/coordination/v1/cases"


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def sheet(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "assessed_on": days_ago(20),
        "situation": {"work": "unemployed", "housing": "owned"},
        "household": "本人と母の二人暮らし",
        "concerns": [{"concern": "caregiving", "field": "elderly_care", "view": "母の介護負担が大きい"}],
        "wishes": "少しずつ外に出たい",
        "risks": {"urgency": "high"},
        "sources": [{"organisation_id": RANRAN_OPERATOR, "provided": "母の介護サービスの利用状況"}],
    }
    body.update(overrides)
    return body


@pytest.fixture
def coordinator(settings) -> dict[str, str]:
    return bearer(settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-mori")


async def test_a_later_assessment_never_overwrites_an_earlier_one(
    client: httpx.AsyncClient, coordinator, settings
) -> None:
    case = await open_case(client)
    path = f"{CASES}/{case['id']}/assessments"
    first = await client.post(path, json=sheet(), headers=coordinator)
    assert first.status_code == 201, first.text
    second = await client.post(
        path, json=sheet(assessed_on=days_ago(2), risks={"urgency": "normal"}), headers=coordinator
    )
    assert second.status_code == 201, second.text

    listed = (await client.get(path, headers=coordinator)).json()
    assert [(a["number"], a["risks"]["urgency"]) for a in listed] == [(1, "high"), (2, "normal")]
    assert listed[0]["wishes"] == "少しずつ外に出たい"
    party = bearer(settings, "window_staff", org=RANRAN_OPERATOR)
    assert_problem(await client.get(path, headers=party), status=403, slug="forbidden")


async def test_bad_assessments_name_the_field_and_save_nothing(
    client: httpx.AsyncClient, coordinator
) -> None:
    case = await open_case(client)
    path = f"{CASES}/{case['id']}/assessments"
    future = (date.today() + timedelta(days=2)).isoformat()
    bad = sheet(assessed_on=future, sources=[{"organisation_id": "223417-town", "provided": "…"}])
    assert_problem(
        await client.post(path, json=bad, headers=coordinator),
        status=422,
        slug="validation-error",
        fields={"assessed_on": "in_future", "sources[0].organisation_id": "other_municipality"},
    )
    assert_problem(
        await client.post(path, json=sheet(situation={"housing": "castle"}), headers=coordinator),
        status=422,
        slug="validation-error",
        fields={"situation.housing": "literal_error"},
    )
    assert (await client.get(path, headers=coordinator)).json() == []


async def test_the_timeline_is_in_the_order_things_happened(client: httpx.AsyncClient, coordinator) -> None:
    case = await open_case(client)
    base = f"{CASES}/{case['id']}"
    # Typed in today, in another order than they happened.
    note = {"kind": "visit", "summary": "自宅を訪問し、本人と話した", "occurred_on": days_ago(3)}
    assert (await client.post(f"{base}/notes", json=note, headers=coordinator)).status_code == 201
    assert (
        await client.post(f"{base}/assessments", json=sheet(assessed_on=days_ago(10)), headers=coordinator)
    ).status_code == 201
    plan = {
        "drafted_on": days_ago(5),
        "long_term_goals": ["地域とつながる"],
        "items": [{"kind": "other", "organisation_id": RANRAN_OPERATOR, "what": "介護サービスの調整"}],
    }
    assert (await client.post(f"{base}/plans", json=plan, headers=coordinator)).status_code == 201

    entries = (await client.get(f"{base}/timeline", headers=coordinator)).json()

    kinds = [e["kind"] for e in entries]
    assert kinds.index("assessment") < kinds.index("plan_drafted") < kinds.index("note:visit")
    assert [e["on"] for e in entries] == sorted(e["on"] for e in entries)
    assert kinds.count("opened") == 1
    assert (
        kinds[-1] == "opened"
        or entries[-1]["on"] == entries[[e["kind"] for e in entries].index("opened")]["on"]
    )
