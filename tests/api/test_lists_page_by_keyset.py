"""Every list that pages (consultations, cases, support meetings, directory search, audit entries)
pages by keyset (shared/pagination.py): walking it page by page gives every item exactly once and in
the list's order, also where items with equal sort keys straddle a page boundary; a cursor that was
tampered with, or belongs to another list or ordering, is a 422 problem naming `cursor`.

The module's tests share one system: each pages through items only it makes (its own subject, names
or members) or compares the walk with the whole list read at once."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from services.coordination.cases.models import Case
from shared.pagination import MAX_LIMIT, encode_cursor
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.api.helpers import (
    CASES,
    CONSULTATIONS,
    assert_problem,
    case_of,
    record_consultation,
    referred_consultation,
    shares_one_system,
)
from tests.support.builders import OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK
from tests.support.tokens import bearer

pytestmark = shares_one_system

MEETINGS = "/coordination/v1/support-meetings"
RESOURCES = "/directory/v1/resources"
INTAKE_AUDIT = "/intake/v1/audit"
JST = timezone(timedelta(hours=9))


async def walk(
    client: httpx.AsyncClient, path: str, *, limit: int, headers: dict[str, str] | None = None, **params: Any
) -> tuple[list[dict[str, Any]], int]:
    """Every page of a list, following next_cursor: the items in order, and how many pages."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 200, "paging never ends"


def assert_once(items: list[dict[str, Any]], key: str = "id") -> list[Any]:
    ids = [i[key] for i in items]
    assert len(ids) == len(set(ids)), "an item came twice"
    return ids


@pytest.fixture
def officer(settings: Settings) -> dict[str, str]:
    return bearer(settings, "municipal_officer", org=OTOFUKE_TOWN)


# --- cases -------------------------------------------------------------------------------------


async def test_cases_opened_at_the_same_moment_page_once_each_newest_first(client, app: FastAPI) -> None:
    referrals = [(await referred_consultation(client))[1]["id"] for _ in range(5)]
    cases = [await case_of(client, r) for r in referrals]
    # Five cases opened at one moment (a batch of referrals relayed together): only the id orders them.
    same = datetime(2030, 1, 1, tzinfo=UTC)
    async with runtimes_of(app)["coordination"].db.transaction() as session:
        await session.execute(
            update(Case).where(Case.id.in_([c["id"] for c in cases])).values(opened_at=same)
        )

    items, pages = await walk(client, CASES, limit=2)

    ids = assert_once(items)
    assert ids[:5] == sorted((c["id"] for c in cases), reverse=True)
    assert ids == [c["id"] for c in (await client.get(CASES, params={"limit": MAX_LIMIT})).json()["items"]]
    order = [(c["opened_at"], c["id"]) for c in items]
    assert order == sorted(order, reverse=True)
    assert pages == -(-len(ids) // 2)


# --- support meetings ----------------------------------------------------------------------------


async def test_support_meetings_page_once_each_most_recently_held_first(client, officer) -> None:
    today = datetime.now(JST).date()
    held = [today, today, today - timedelta(days=3), today, today - timedelta(days=3), today]
    made = []
    for day in held:
        response = await client.post(
            MEETINGS,
            json={
                "held_on": day.isoformat(),
                "members": [
                    {"organisation_id": org, "name": "担当", "subject": f"paging@{org}"}
                    for org in (OTOFUKE_TOWN, RANRAN_OPERATOR, WILLWORK)
                ],
                "concerning": "ページ送りの確認",
                "discussion": "民生委員から見守りの報告",
            },
            headers=officer,
        )
        assert response.status_code == 201, response.text
        made.append(response.json())

    items, pages = await walk(client, MEETINGS, limit=2, headers=officer)

    mine = [i for i in assert_once(items) if i in {m["id"] for m in made}]
    expected = sorted(made, key=lambda m: (m["held_on"], m["id"]), reverse=True)
    assert mine == [m["id"] for m in expected]
    order = [(i["held_on"], i["id"]) for i in items]
    assert order == sorted(order, reverse=True)
    assert pages == -(-len(items) // 2) and pages >= 3


# --- directory search --------------------------------------------------------------------------


async def test_a_ranked_search_pages_once_each_through_equal_ranks_and_readings(client, settings) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    entries = [("頁送確認サロン", "ページオクリカクニンサロン")] * 5 + [
        ("頁送確認サロン別館", "ページオクリカクニンサロンベッカン"),
        ("東頁送確認サロン", "ヒガシページオクリカクニンサロン"),
        ("ふれあいの場", "ページオクリカクニンサロンノバ"),  # found by its reading only
    ]
    made = {}
    for name, kana in entries:
        body = {"name": name, "name_kana": kana, "kind": "community_program", "field": "other"}
        response = await client.post(RESOURCES, json=body, headers=editor)
        assert response.status_code == 201, response.text
        made[response.json()["id"]] = response.json()

    for limit in (1, 2, 3):
        items, _ = await walk(client, RESOURCES, limit=limit, q="頁送確認サロン")
        assert_once(items)
        assert [i["name"] for i in items] == [
            *["頁送確認サロン"] * 5,  # whole name, then by reading and id
            "頁送確認サロン別館",  # name prefix
            "東頁送確認サロン",  # in the name
        ], limit
        assert [i["id"] for i in items[:5]] == sorted(
            i for i, m in made.items() if m["name"] == "頁送確認サロン"
        )
        by_reading, _ = await walk(client, RESOURCES, limit=limit, q="ページオクリカクニンサロン")
        whole = (await client.get(RESOURCES, params={"q": "ページオクリカクニンサロン"})).json()["items"]
        assert assert_once(by_reading) == [i["id"] for i in whole] and len(whole) == len(entries)


async def test_the_unranked_list_pages_once_each_by_reading_then_id(client) -> None:
    whole = (await client.get(RESOURCES, params={"limit": MAX_LIMIT})).json()
    assert whole["next_cursor"] is None

    items, pages = await walk(client, RESOURCES, limit=7)

    assert assert_once(items) == [i["id"] for i in whole["items"]]
    assert pages == -(-len(items) // 7) and pages > 2
    order = [(i["name_kana"], i["id"]) for i in items]
    assert order == sorted(order)


async def test_a_search_cursor_belongs_to_its_query(client) -> None:
    first = (await client.get(RESOURCES, params={"q": "介護", "limit": 1})).json()
    assert first["next_cursor"]

    other_query = await client.get(RESOURCES, params={"q": "相談", "cursor": first["next_cursor"]})
    unranked = await client.get(RESOURCES, params={"cursor": first["next_cursor"]})

    for response in (other_query, unranked):
        assert_problem(response, status=422, slug="validation-error", fields={"cursor": "invalid"})


# --- audit entries -----------------------------------------------------------------------------


async def test_audit_entries_page_once_each_newest_first(client, settings) -> None:
    reader = bearer(settings, "window_staff", subject="staff-pager")
    consultation = await record_consultation(client, headers=reader)
    for _ in range(6):
        response = await client.get(f"{CONSULTATIONS}/{consultation['id']}", headers=reader)
        assert response.status_code == 200, response.text
    auditor = bearer(settings, "auditor", org=OTOFUKE_TOWN)

    items, pages = await walk(client, INTAKE_AUDIT, limit=2, headers=auditor, subject="staff-pager")

    seqs = assert_once(items, "seq")
    assert len(seqs) == 7 and pages == 4  # the record and six reads
    assert seqs == sorted(seqs, reverse=True)


# --- tampered cursors ----------------------------------------------------------------------------


async def _cursor_of(client: httpx.AsyncClient, path: str, headers: dict[str, str] | None) -> str:
    page = (await client.get(path, params={"limit": 1}, headers=headers)).json()
    cursor: str = page["next_cursor"]
    assert cursor, page
    return cursor


LISTS = {
    "consultations": (CONSULTATIONS, None),
    "cases": (CASES, None),
    "support meetings": (MEETINGS, "officer"),
    "directory search": (RESOURCES, None),
    "audit entries": (INTAKE_AUDIT, "auditor"),
}


@pytest.mark.parametrize("name", list(LISTS))
async def test_a_tampered_or_foreign_cursor_is_a_problem_naming_the_cursor(
    client, settings, officer, name
) -> None:
    headers = {"officer": officer, "auditor": bearer(settings, "auditor", org=OTOFUKE_TOWN), None: None}
    # Enough of every list for a second page (each test above makes its own; this one makes sure).
    await referred_consultation(client)
    await case_of(client, (await referred_consultation(client))[1]["id"])
    for _ in range(2):
        await client.post(
            MEETINGS,
            json={
                "held_on": datetime.now(JST).date().isoformat(),
                "members": [OTOFUKE_TOWN, RANRAN_OPERATOR],
                "concerning": "カーソルの確認",
                "discussion": "—",
            },
            headers=officer,
        )
    path, who = LISTS[name]
    own = await _cursor_of(client, path, headers[who])
    fingerprint, *values = values_of(own)
    wrong_kind: Any = "text" if isinstance(values[-1], int) else 12345
    others = [
        await _cursor_of(client, other_path, headers[other_who])
        for other_name, (other_path, other_who) in LISTS.items()
        if other_name != name
    ]
    tampered = [
        "garbage!",
        own[:-3],  # truncated
        encode_cursor([fingerprint[::-1], *values]),  # another ordering's fingerprint
        encode_cursor([fingerprint, *values[:-1]]),  # a value short
        encode_cursor([fingerprint, *values[:-1], wrong_kind]),  # an id (a seq) of the wrong kind
        encode_cursor([fingerprint, *values[:-1], {"id": values[-1]}]),
        *others,  # another list's cursor
    ]

    for cursor in tampered:
        english = {**(headers[who] or {}), "Accept-Language": "en"}
        response = await client.get(path, params={"cursor": cursor}, headers=english)
        body = assert_problem(response, status=422, slug="validation-error", fields={"cursor": "invalid"})
        assert body["errors"][0]["message"] == "Pass next_cursor from the previous page.", cursor


def values_of(cursor: str) -> list[Any]:
    """What a cursor carries (the test tampers with one it was given)."""
    values: list[Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return values
