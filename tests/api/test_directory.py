"""The resource directory: Japanese search, editing with history, HSDS exchange, the seed data.

The systems hold the reference data of the four municipalities (embedded mode loads it). The
module's tests share one system: they search for reference entries or entries of their own, and
edit only their own. Those that count or export a municipality's whole directory, or watch the seed
loader start, have a system of their own.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from services.directory.db import messaging
from services.directory.hsds.model import HsdsDocument
from services.directory.hsds.schema import validate_hsds
from services.directory.reference.loader import reference_files
from services.directory.resources.models import Organisation, Resource
from services.embedded import create_app
from shared.runtime import runtimes_of
from tests.api.helpers import assert_problem, own_system, shares_one_system
from tests.conftest import embedded_settings
from tests.support.builders import OTOFUKE, OTOFUKE_TOWN
from tests.support.tokens import bearer

pytestmark = shares_one_system

RESOURCES = "/directory/v1/resources"


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def _search(client: httpx.AsyncClient, **params: str) -> list[str]:
    return _names(await client.get(RESOURCES, params={**params, "limit": "200"}))


async def test_two_character_words_are_found(client) -> None:
    found = await _search(client, q="介護")
    assert "地域包括支援センターらんらん" in found  # an elder-care window: 介護 is its field
    assert all(name for name in found)


async def test_a_reading_in_hiragana_finds_the_centre(client) -> None:
    assert await _search(client, q="らんらん") == ["地域包括支援センターらんらん"]


async def test_half_width_katakana_and_hiragana_find_the_same_centres(client) -> None:
    half = await _search(client, q="ﾁｲｷﾎｳｶﾂ")
    hiragana = await _search(client, q="ちいきほうかつ")
    assert half == hiragana
    assert {
        "地域包括支援センターらんらん",
        "地域包括支援センターほほえみ",
        "地域包括支援センターロータス音更",
    } <= set(half)


async def test_a_short_latin_and_kanji_mix_is_found_in_any_width(client, settings) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    created = await client.post(
        RESOURCES,
        json={
            "name": "就労継続支援B型事業所ひまわり",
            "name_kana": "シュウロウケイゾクシエンビーガタジギョウショヒマワリ",
            "kind": "participation_host",
            "field": "disability",
            "legal_item": "2",
        },
        headers=editor,
    )
    assert created.status_code == 201, created.text
    for query in ("B型", "ｂ型", "Ｂ型", "就労"):
        assert "就労継続支援B型事業所ひまわり" in await _search(client, q=query), query


async def test_a_district_search_returns_only_places_covering_it(client) -> None:
    found = await _search(client, area="音更中学校区")
    assert "地域包括支援センターらんらん" in found  # 音更中学校区・駒場中学校区
    assert "地域包括支援センターほほえみ" not in found  # 共栄中学校区・下音更中学校区の一部
    assert "こども家庭センター" in found  # 町内一円 covers every district
    part = await _search(client, area="下音更中学校区")
    assert {"地域包括支援センターほほえみ", "地域包括支援センターロータス音更"} <= set(part)


async def test_field_and_legal_item_filters(client) -> None:
    response = await client.get(RESOURCES, params={"field": "children", "limit": "200"})
    assert response.status_code == 200
    assert response.json()["items"] and all(i["field"] == "children" for i in response.json()["items"])
    response = await client.get(RESOURCES, params={"legal_item": "1イ", "limit": "200"})
    assert all(i["legal_item"] == "1イ" for i in response.json()["items"])
    bad = await client.get(RESOURCES, params={"legal_item": "9"})
    assert bad.status_code == 422


async def test_empty_and_absurd_queries_answer_sensibly(client) -> None:
    everything = await _search(client)
    assert await _search(client, q="") == everything
    assert await _search(client, q="　 ") == everything
    assert await _search(client, q="存在しない施設名") == []
    assert await _search(client, q="%_\\'\"") == []
    too_long = await client.get(RESOURCES, params={"q": "あ" * 101})
    assert too_long.status_code == 422


async def test_another_municipality_sees_only_its_own(client, settings) -> None:
    nagaizumi = bearer(settings, "window_staff", tenant="223417", org="223417-town")
    items = (await client.get(RESOURCES, params={"limit": "200"}, headers=nagaizumi)).json()["items"]
    assert items and all(i["tenant_id"] == "223417" for i in items)


async def test_editing_keeps_history_needs_if_match_and_emits_events(client, app, settings) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN, subject="editor-1")
    body = {
        "name": "ふれあいサロン東",
        "name_kana": "フレアイサロンヒガシ",
        "kind": "community_program",
        "field": "other",
        "phones": [{"number": "0155-42-2111", "extension": "512"}],
        "postal_code": "0800198",
        "areas": [{"kind": "junior_high_district", "name": "駒場中学校区"}],  # in 音更町's gazetteer
        "schedule": "毎月第1・第3水曜日",
    }
    created = await client.post(RESOURCES, json=body, headers=editor)
    assert created.status_code == 201, created.text
    resource = created.json()
    assert resource["postal_code"] == "080-0198"
    path = f"{RESOURCES}/{resource['id']}"

    stale = await client.put(
        path, json={**body, "name": "ふれあいサロン東館"}, headers={**editor, "If-Match": '"x.v9"'}
    )
    assert stale.status_code == 412
    updated = await client.put(
        path, json={**body, "name": "ふれあいサロン東館"}, headers={**editor, "If-Match": resource["etag"]}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    retired = await client.post(f"{path}/retirement", headers={**editor, "If-Match": updated.headers["etag"]})
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert "ふれあいサロン東館" not in await _search(client, q="ふれあい")

    history = (await client.get(f"{path}/history")).json()
    assert [(h["version"], h["change"], h["changed_by"]) for h in history] == [
        (1, "published", "editor-1"),
        (2, "updated", "editor-1"),
        (3, "retired", "editor-1"),
    ]
    assert history[0]["snapshot"]["name"] == "ふれあいサロン東"

    outbox = messaging.outbox
    async with runtimes_of(app)["directory"].db.transaction() as session:
        types = [
            row.event_type
            for row in (await session.execute(select(outbox).where(outbox.c.key == resource["id"]))).all()
        ]
    assert [t.split(".")[-2] for t in types] == ["ResourcePublished", "ResourceUpdated", "ResourceRetired"]


async def test_bad_entries_are_refused_naming_the_field(client, settings) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    base = {"name": "サロン", "name_kana": "サロン", "kind": "community_program", "field": "other"}
    for bad, field in (
        ({"postal_code": "080-01988"}, "postal_code"),
        ({"phones": [{"number": "電話番号"}]}, "phones[0].number"),
        ({"name_kana": "漢字"}, "name_kana"),
        ({"organisation_id": "223417-town"}, "organisation_id"),
        ({"field": "elder"}, "field"),
    ):
        response = await client.post(RESOURCES, json={**base, **bad}, headers=editor)
        assert response.status_code == 422, (bad, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], response.json()


HSDS = "/directory/v1/hsds"
# An entry using every field HSDS carries: structured schedules, extensions, fax, areas, accepts.
EVERY_FIELD: dict[str, Any] = {
    "name": "ふれあいサロン東",
    "name_kana": "フレアイサロンヒガシ",
    "kind": "community_program",
    "field": "other",
    "legal_item": "3ロ",
    "organisation_id": OTOFUKE_TOWN,
    "operation": "commissioned",
    "address": "音更町東通12丁目5番地",
    "postal_code": "0800198",
    "phones": [
        {"number": "0155-42-2111", "extension": "512"},
        {"number": "0155-42-2112", "extension": "012"},
        {"number": "0155-42-2696", "type": "fax"},
    ],
    "areas": [{"kind": "junior_high_district", "name": "共栄中学校区"}],  # in 音更町's gazetteer
    "schedule": "主に、月1・2回のペースで開催",
    "schedules": [
        {"freq": "WEEKLY", "byday": ["MO", "WE"], "opens_at": "08:30", "closes_at": "17:15"},
        {
            "freq": "MONTHLY",
            "byday": ["1WE", "-1FR"],
            "opens_at": "13:30",
            "closes_at": "15:00",
            "valid_from": "2026-04-01",
            "closed_on_holidays": False,
        },
        {"freq": "MONTHLY", "bymonthday": [15, -1]},
    ],
    "accepts": {"age_from": 65, "conditions": ["町内在住"], "accessibility": ["車いす可"]},
}


async def _count_rows(app: Any) -> dict[str, int]:
    async with runtimes_of(app)["directory"].db.transaction() as session:
        return {
            "resources": await session.scalar(select(func.count()).select_from(Resource)) or 0,
            "organizations": await session.scalar(select(func.count()).select_from(Organisation)) or 0,
            "outbox": await session.scalar(select(func.count()).select_from(messaging.outbox)) or 0,
        }


@own_system  # exports the reference data and its one entry, and imports them all elsewhere
async def test_hsds_export_validates_and_re_imports_to_the_same_data(
    client, settings, tmp_path: Path
) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    created = await client.post(RESOURCES, json=EVERY_FIELD, headers=editor)
    assert created.status_code == 201, created.text
    exported = (await client.get(HSDS)).json()
    assert validate_hsds(exported) == []  # the official HSDS 3.1 constraints
    document = HsdsDocument.model_validate(exported)  # the shape we adopt (extra fields forbidden)
    assert document.services and document.organizations
    entry = next(s for s in exported["services"] if s["x_jusou"]["id"] == created.json()["id"])
    assert [s.get("opens_at") for s in entry["schedules"]] == ["08:30+09:00", "13:30+09:00", None, None]

    fresh_settings = embedded_settings(tmp_path / "fresh", load_demo_data=False)
    fresh = create_app(fresh_settings)
    async with fresh.router.lifespan_context(fresh):
        transport = httpx.ASGITransport(app=fresh)
        async with httpx.AsyncClient(transport=transport, base_url="http://fresh") as other:
            editor = bearer(fresh_settings, "directory_editor", org=OTOFUKE_TOWN)
            result = await other.post(HSDS, json=exported, headers=editor)
            assert result.status_code == 200, result.text
            assert result.json()["created"] == len(document.services)
            again = (await other.get(HSDS, headers=editor)).json()
            assert again == exported
            repeat = (await other.post(HSDS, json=exported, headers=editor)).json()
            assert repeat["unchanged"] == len(document.services) and repeat["created"] == 0
            copied = (await other.get(f"{RESOURCES}/{created.json()['id']}", headers=editor)).json()
    original = created.json()
    for name in ("phones", "areas", "schedule", "schedules", "accepts", "address", "postal_code"):
        assert copied[name] == original[name], name


@own_system  # every entry of each municipality is a reference entry
async def test_every_seeded_municipality_exports_valid_hsds(client, settings) -> None:
    for file in reference_files():
        org = f"{file.tenant_id}-{file.organizations[0].key}"
        response = await client.get(
            HSDS, headers=bearer(settings, "window_staff", tenant=file.tenant_id, org=org)
        )
        assert response.status_code == 200, response.text
        assert validate_hsds(response.json()) == [], file.tenant_id
        assert len(response.json()["services"]) == len(file.services)


async def test_an_invalid_hsds_document_is_refused_whole_and_writes_nothing(client, tmp_path: Path) -> None:
    exported = (await client.get(HSDS)).json()
    worded = next(i for i, s in enumerate(exported["services"]) if s["schedules"])

    fresh_settings = embedded_settings(tmp_path / "fresh", load_demo_data=False)
    fresh = create_app(fresh_settings)
    async with fresh.router.lifespan_context(fresh):
        transport = httpx.ASGITransport(app=fresh)
        async with httpx.AsyncClient(transport=transport, base_url="http://fresh") as other:
            editor = bearer(fresh_settings, "directory_editor", org=OTOFUKE_TOWN)
            before = await _count_rows(fresh)

            broken = copy.deepcopy(exported)
            broken["services"][0].pop("name")
            broken["services"][1]["id"] = "016314-not-a-uuid"
            broken["services"][worded]["schedules"][0].update(freq="DAILY", valid_from="2026-02-30")
            response = await other.post(HSDS, json=broken, headers={**editor, "Accept-Language": "en"})
            body = assert_problem(
                response,
                status=422,
                slug="hsds-document-invalid",
                fields={
                    "services[0].name": "hsds_required",
                    "services[1].id": "hsds_format_uuid",
                    f"services[{worded}].schedules[0].freq": "hsds_enum",
                    f"services[{worded}].schedules[0].valid_from": "hsds_format_date",
                },
            )
            messages = {e["field"]: e["message"] for e in body["errors"]}
            assert len(messages) == 4 and messages["services[1].id"].startswith("Not a UUID")
            assert await _count_rows(fresh) == before

            # Officially valid, but not entries of the directory: located in the document as well.
            unreadable = copy.deepcopy(exported)
            unreadable["services"][-1]["x_jusou"]["name_kana"] = "漢字"
            unreadable["services"][worded]["schedules"][0].update(
                freq="WEEKLY", byday="MO", opens_at="00:30Z", closes_at="08:00Z"
            )
            response = await other.post(HSDS, json=unreadable, headers=editor)
            assert_problem(
                response,
                status=422,
                slug="validation-error",
                fields={
                    f"services[{len(exported['services']) - 1}].x_jusou.name_kana": "value_error",
                    f"services[{worded}].schedules[0].opens_at": "japan_time_required",
                    f"services[{worded}].schedules[0].closes_at": "japan_time_required",
                },
            )
            assert await _count_rows(fresh) == before

            malformed = await other.post(
                HSDS, content=b'{"services": [', headers={**editor, "content-type": "application/json"}
            )
            assert_problem(malformed, status=400, slug="malformed-json")
            assert await _count_rows(fresh) == before


@own_system
async def test_the_seed_loader_puts_every_reference_entry_in_place(tmp_path: Path) -> None:
    # A system started from nothing, not a copy of the migrated template: migrated and seeded here.
    started = create_app(embedded_settings(tmp_path / "seeded", load_demo_data=True))
    async with (
        started.router.lifespan_context(started),
        runtimes_of(started)["directory"].db.transaction() as session,
    ):
        counts = dict(
            (
                await session.execute(select(Resource.tenant_id, func.count()).group_by(Resource.tenant_id))
            ).all()
        )
    # Counted by hand in the seed documents (see tests/unit/test_directory_reference_*.py for the
    # breakdown by section): 音更町 seed 000 §2(2), 長泉町 seed 003 §5, 大仙市 seed 001 §3, 遠野市 seed 004.
    assert counts == {OTOFUKE: 25, "223417": 25, "052124": 42, "032085": 13}
    assert counts == {f.tenant_id: len(f.services) for f in reference_files()}
