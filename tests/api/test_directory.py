"""The resource directory: Japanese search, editing with history, HSDS exchange, the seed data."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from services.directory.db import messaging
from services.directory.hsds.model import HsdsDocument, hsds_json_schema
from services.directory.reference.loader import reference_files
from services.directory.resources.models import Resource
from services.embedded import create_app
from shared.runtime import runtimes_of
from tests.conftest import embedded_settings
from tests.support.builders import OTOFUKE, OTOFUKE_TOWN
from tests.support.tokens import bearer

RESOURCES = "/directory/v1/resources"


@pytest.fixture
def settings(tmp_path: Path):
    return embedded_settings(tmp_path / "data", load_demo_data=True)


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
        "areas": [{"kind": "district", "name": "東地区"}],
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
        ({"organization_id": "223417-town"}, "organization_id"),
        ({"field": "elder"}, "field"),
    ):
        response = await client.post(RESOURCES, json={**base, **bad}, headers=editor)
        assert response.status_code == 422, (bad, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], response.json()


async def test_hsds_export_validates_and_re_imports_to_the_same_data(
    client, settings, tmp_path: Path
) -> None:
    exported = (await client.get("/directory/v1/hsds")).json()
    document = HsdsDocument.model_validate(exported)  # the shape we adopt (extra fields forbidden)
    assert document.services and document.organizations
    assert set(hsds_json_schema()["required"]) <= set(exported)

    fresh_settings = embedded_settings(tmp_path / "fresh", load_demo_data=False)
    fresh = create_app(fresh_settings)
    async with fresh.router.lifespan_context(fresh):
        transport = httpx.ASGITransport(app=fresh)
        async with httpx.AsyncClient(transport=transport, base_url="http://fresh") as other:
            editor = bearer(fresh_settings, "directory_editor", org=OTOFUKE_TOWN)
            result = await other.post("/directory/v1/hsds", json=exported, headers=editor)
            assert result.status_code == 200, result.text
            assert result.json()["created"] == len(document.services)
            again = (await other.get("/directory/v1/hsds", headers=editor)).json()
            assert again == exported
            repeat = (await other.post("/directory/v1/hsds", json=exported, headers=editor)).json()
            assert repeat["unchanged"] == len(document.services) and repeat["created"] == 0


async def test_the_seed_loader_puts_every_reference_entry_in_place(client, app) -> None:
    db = runtimes_of(app)["directory"].db
    async with db.transaction() as session:
        counts = dict(
            (
                await session.execute(select(Resource.tenant_id, func.count()).group_by(Resource.tenant_id))
            ).all()
        )
    # Counted by hand in the seed documents (see tests/unit/test_directory_reference_*.py for the
    # breakdown by section): 音更町 seed 000 §2(2), 長泉町 seed 003 §5, 大仙市 seed 001 §3, 遠野市 seed 004.
    assert counts == {OTOFUKE: 25, "223417": 25, "052124": 42, "032085": 13}
    assert counts == {f.tenant_id: len(f.services) for f in reference_files()}
