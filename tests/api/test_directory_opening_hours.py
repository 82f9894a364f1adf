"""開所日時: structured schedules on resources, and search for places open now or on a day.

The module's tests share one system, each searching for entries it published under names of its
own; the one about the seeded entries alone has a system of its own.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from services.directory.resources.schedules import JST
from shared.db import utcnow
from tests.api.helpers import own_system, shares_one_system
from tests.support.builders import OTOFUKE_TOWN
from tests.support.opening_hours_contract import (
    RESOURCES,
    assert_search_agrees_with_the_rules,
    publish_generated,
)
from tests.support.tokens import bearer

pytestmark = shares_one_system

OFFICE_HOURS = {
    "freq": "WEEKLY",
    "byday": ["MO", "TU", "WE", "TH", "FR"],
    "opens_at": "08:30",
    "closes_at": "17:15",
}


async def _publish(client: httpx.AsyncClient, settings, name: str, schedules: list[dict]) -> httpx.Response:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    return await client.post(
        RESOURCES,
        json={
            "name": name,
            "name_kana": "テスト",
            "kind": "window",
            "field": "other",
            "schedules": schedules,
        },
        headers=editor,
    )


async def _names(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get(RESOURCES, params={**params, "limit": "200"})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_a_window_open_in_office_hours_is_found_then_and_not_on_a_holiday(client, settings) -> None:
    created = await _publish(client, settings, "平日窓口", [OFFICE_HOURS])
    assert created.status_code == 201, created.text
    assert created.json()["schedules"][0]["opens_at"] == "08:30:00"
    assert "平日窓口" in await _names(client, open_on="2026-11-24", open_at="10:00")
    assert "平日窓口" in await _names(client, open_on="2026-11-24")
    assert "平日窓口" not in await _names(client, open_on="2026-11-24", open_at="17:15")
    assert "平日窓口" not in await _names(client, open_on="2026-11-23")  # 勤労感謝の日
    assert "平日窓口" not in await _names(client, open_on="2026-12-29")  # 年末年始


@own_system  # no entry but the seeded ones
async def test_entries_without_structured_hours_are_not_claimed_open(client) -> None:
    # The seeded entries have their schedules only as the documents write them (or not at all).
    assert await _names(client, open_on="2026-11-24", open_at="10:00") == []


async def test_open_now_uses_the_clock_in_japan(client, settings) -> None:
    always = {
        "freq": "WEEKLY",
        "byday": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
        "closed_on_holidays": False,
    }
    now = utcnow().astimezone(JST)
    nowhere = {
        "freq": "MONTHLY",
        "bymonthday": [(now.day % 28) + 1],
        "valid_to": "2000-01-01",
        "valid_from": "1999-01-01",
    }
    assert (await _publish(client, settings, "いつでも相談", [always])).status_code == 201
    assert (await _publish(client, settings, "期間終了", [nowhere])).status_code == 201
    found = await _names(client, open_now="true")
    assert "いつでも相談" in found and "期間終了" not in found


async def test_open_filters_combine_with_text_and_field(client, settings) -> None:
    await _publish(
        client,
        settings,
        "子育てサロンひだまり",
        [{"freq": "MONTHLY", "byday": ["1WE", "3WE"], "opens_at": "10:00", "closes_at": "12:00"}],
    )
    assert await _names(client, q="ひだまり", open_on="2026-12-02", open_at="11:00") == [
        "子育てサロンひだまり"
    ]
    assert await _names(client, q="ひだまり", open_on="2026-12-09", open_at="11:00") == []
    assert (
        await _names(client, q="ひだまり", field="children", open_on="2026-12-02") == []
    )  # its field is other


async def test_bad_schedules_and_bad_filters_are_4xx_naming_the_field(client, settings) -> None:
    bad = await _publish(client, settings, "壊れた日程", [{"freq": "WEEKLY", "byday": ["1WE"]}])
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].startswith("schedules") for e in bad.json()["errors"]), bad.json()
    assert (await _names(client, q="壊れた日程")) == []  # nothing half saved
    for params in (
        {"open_on": "2026-02-30"},
        {"open_at": "25:00"},
        {"open_now": "true", "open_on": "2026-12-01"},
    ):
        response = await client.get(RESOURCES, params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"], params


async def test_search_agrees_with_the_rules_on_sqlite(client, settings) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    published = await publish_generated(client, editor, count=40)
    await assert_search_agrees_with_the_rules(client, published)


async def test_schedules_are_kept_in_history_and_updates_reindex(client, settings) -> None:
    created = (await _publish(client, settings, "変わる窓口", [OFFICE_HOURS])).json()
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    body = {
        "name": "変わる窓口",
        "name_kana": "テスト",
        "kind": "window",
        "field": "other",
        "schedules": [{"freq": "WEEKLY", "byday": ["SA"]}],
    }
    updated = await client.put(
        f"{RESOURCES}/{created['id']}", json=body, headers={**editor, "If-Match": created["etag"]}
    )
    assert updated.status_code == 200, updated.text
    assert "変わる窓口" not in await _names(client, open_on="2026-11-24")
    assert "変わる窓口" in await _names(client, open_on="2026-11-28")
    history = (await client.get(f"{RESOURCES}/{created['id']}/history")).json()
    assert [v["snapshot"]["schedules"][0]["byday"] for v in history] == [
        ["MO", "TU", "WE", "TH", "FR"],
        ["SA"],
    ]
    assert datetime.fromisoformat(updated.json()["updated_at"])
