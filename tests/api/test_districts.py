"""地区・学区の台帳 over HTTP: the gazetteer replaced with If-Match, an address looked up, the resource
search by address, and resources' areas checked against the gazetteer (JSON, CSV, HSDS).

The demo data holds the districts the plans name (音更町: five 中学校区, seed 000 §2(2)ア) and no
address lines; the address lines here are made up for the tests.

The module's tests share one system: those that look addresses up first put the same gazetteer
(ADDRESS_LINES) in place, and the others change nothing or only what no other test reads (遠野市's
gazetteer, 長泉町's). Tests that need the demo gazetteer as loaded (its version, no address lines) or
publish an entry that covers the whole town have a system of their own.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.directory.db import audit_log
from services.directory.resources.csv_exchange import HEADERS
from services.embedded import create_app
from shared.runtime import runtimes_of
from shared.settings import Settings
from tests.api.helpers import EN, NAGAIZUMI_TOWN, assert_problem, own_system, shares_one_system
from tests.conftest import embedded_settings
from tests.support.builders import NAGAIZUMI, OTOFUKE, OTOFUKE_TOWN
from tests.support.tokens import bearer

pytestmark = shares_one_system

DISTRICTS = "/directory/v1/districts"
LOOKUP = f"{DISTRICTS}/lookup"
RESOURCES = "/directory/v1/resources"
TONO = "032085"  # seed 004 names no district: no gazetteer

OTOFUKE_JUNIOR_HIGH = ["音更中学校区", "駒場中学校区", "共栄中学校区", "下音更中学校区", "緑南中学校区"]
WHOLE_TOWN = {"障がい者基幹相談支援センター", "こども家庭センター", "せいかつ相談窓口"}  # 町内一円
ADDRESS_LINES = [
    {"town": "柏寿台", "district": "音更中学校区"},
    {"town": "共栄台西", "chome_from": 1, "chome_to": 10, "district": "共栄中学校区"},
    {"town": "共栄台西11丁目", "district": "緑南中学校区"},
    {"town": "大字下音更", "district": "下音更中学校区", "partial": True, "note": "北9線以北"},
    {"town": "大字下音更", "district": "共栄中学校区", "partial": True},
]


def editor(settings: Settings, tenant: str = OTOFUKE, org: str = OTOFUKE_TOWN) -> dict[str, str]:
    return bearer(settings, "directory_editor", tenant=tenant, org=org, subject="editor-1")


def gazetteer_body(**overrides: Any) -> dict[str, Any]:
    return {
        "municipality": "音更町",
        "districts": [{"kind": "junior_high_district", "name": name} for name in OTOFUKE_JUNIOR_HIGH],
        "addresses": ADDRESS_LINES,
        **overrides,
    }


async def put_gazetteer(client: httpx.AsyncClient, settings: Settings, **overrides: Any) -> dict[str, Any]:
    current = await client.get(DISTRICTS)
    response = await client.put(
        DISTRICTS,
        json=gazetteer_body(**overrides),
        headers={**editor(settings), "If-Match": current.headers["etag"]},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def lookup(client: httpx.AsyncClient, address: str, **headers: str) -> dict[str, Any]:
    response = await client.get(LOOKUP, params={"address": address}, headers=headers or None)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def district_names(location: dict[str, Any]) -> list[str]:
    return [d["name"] for d in location["districts"]]


async def names_near(client: httpx.AsyncClient, address: str) -> set[str]:
    response = await client.get(RESOURCES, params={"address": address, "limit": "200"})
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


# --- the gazetteer --------------------------------------------------------------------------------


@own_system  # the demo gazetteer as loaded
async def test_the_demo_gazetteer_holds_the_plan_s_districts_and_no_addresses(client) -> None:
    response = await client.get(DISTRICTS)

    assert response.status_code == 200, response.text
    body = response.json()
    assert [d["name"] for d in body["districts"]] == OTOFUKE_JUNIOR_HIGH
    assert {d["kind"] for d in body["districts"]} == {"junior_high_district"}
    assert body["addresses"] == []
    assert (body["municipality"], body["version"], body["updated_by"]) == ("音更町", 1, "reference-loader")
    assert body["source"].startswith("seed 000")
    assert response.headers["etag"] == body["etag"] == f'"districts-{OTOFUKE}.v1"'


@own_system  # from the demo gazetteer's version 1 to 2
async def test_replacing_needs_if_match_and_refuses_a_stale_one(client, settings, app) -> None:
    before = (await client.get(DISTRICTS)).json()

    missing = await client.put(DISTRICTS, json=gazetteer_body(), headers=editor(settings))
    assert_problem(missing, status=428, slug="precondition-required", fields={"If-Match": "missing"})
    stale = await client.put(
        DISTRICTS, json=gazetteer_body(), headers={**editor(settings), "If-Match": '"districts-016314.v0"'}
    )
    assert_problem(stale, status=412, slug="stale-write")
    assert (await client.get(DISTRICTS)).json() == before

    replaced = await client.put(
        DISTRICTS,
        json=gazetteer_body(),
        headers={**editor(settings), "If-Match": before["etag"], "X-Request-ID": "gazetteer-1"},
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["version"] == 2 and replaced.headers["etag"] == f'"districts-{OTOFUKE}.v2"'
    assert (body["updated_by"], body["source"]) == ("editor-1", None)
    assert body["addresses"][2] == {
        "town": "共栄台西",
        "chome_from": 11,
        "chome_to": None,
        "partial": False,
        "district": "緑南中学校区",
        "note": None,
    }
    assert (await client.get(DISTRICTS)).json() == body
    again = await client.put(
        DISTRICTS, json=gazetteer_body(), headers={**editor(settings), "If-Match": before["etag"]}
    )
    assert_problem(again, status=412, slug="stale-write")

    async with runtimes_of(app)["directory"].db.transaction() as session:
        entries = (
            await session.execute(select(audit_log).where(audit_log.c.request_id == "gazetteer-1"))
        ).all()
    assert [(e.action, e.resource, e.resource_id) for e in entries] == [
        ("update", "district", f"districts-{OTOFUKE}")
    ]


async def test_a_gazetteer_with_problems_is_refused_and_nothing_changes(client, settings) -> None:
    before = (await client.get(DISTRICTS)).json()
    body = gazetteer_body(
        districts=[
            {"kind": "junior_high_district", "name": "音更中学校区"},
            {"kind": "junior_high_district", "name": "音更 中学校区"},
        ],
        addresses=[{"town": "柏寿台", "district": "緑陽中学校区"}],
    )

    response = await client.put(
        DISTRICTS, json=body, headers={**editor(settings), "If-Match": before["etag"]}
    )

    assert_problem(
        response,
        status=422,
        slug="invalid-gazetteer",
        fields={"districts[1].name": "duplicate_district", "addresses[0].district": "unknown_district"},
    )
    bad_kind = await client.put(
        DISTRICTS,
        json=gazetteer_body(districts=[{"kind": "ward", "name": "東区"}], addresses=[]),
        headers={**editor(settings), "If-Match": before["etag"]},
    )
    assert bad_kind.status_code == 422
    assert (await client.get(DISTRICTS)).json() == before


async def test_window_staff_read_the_gazetteer_but_cannot_replace_it(client, settings) -> None:
    staff = bearer(settings, "window_staff")
    assert (await client.get(DISTRICTS, headers=staff)).status_code == 200
    current = (await client.get(DISTRICTS)).json()["etag"]
    refused = await client.put(DISTRICTS, json=gazetteer_body(), headers={**staff, "If-Match": current})
    assert_problem(refused, status=403, slug="forbidden")


# --- which districts an address lies in ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["柏寿台1番地5", "音更町柏寿台1-5", "北海道河東郡音更町柏寿台一丁目", "〒080-0198 音更町柏寿台１－５"],
)
async def test_an_address_is_looked_up_however_it_is_written(client, settings, address: str) -> None:
    await put_gazetteer(client, settings)

    found = await lookup(client, address)

    assert (district_names(found), found["ambiguous"], found["town"]) == (["音更中学校区"], False, "柏寿台")
    assert found["districts"][0] == {"kind": "junior_high_district", "name": "音更中学校区", "reading": None}


async def test_chome_settles_a_split_town_and_its_absence_leaves_it_ambiguous(client, settings) -> None:
    await put_gazetteer(client, settings)

    assert district_names(await lookup(client, "共栄台西三丁目2番地")) == ["共栄中学校区"]
    settled = await lookup(client, "共栄台西１１丁目7番地7")
    assert (district_names(settled), settled["chome"], settled["ambiguous"]) == (["緑南中学校区"], 11, False)
    unsettled = await lookup(client, "共栄台西7番地7")
    assert (district_names(unsettled), unsettled["ambiguous"]) == (["共栄中学校区", "緑南中学校区"], True)
    split = await lookup(client, "音更町大字下音更北9線西12番地")
    assert (district_names(split), split["ambiguous"]) == (["下音更中学校区", "共栄中学校区"], True)


async def test_an_unknown_or_absurd_address_lies_nowhere(client, settings) -> None:
    await put_gazetteer(client, settings)
    for address in ("緑陽台1丁目", "北海道帯広市柏寿台1丁目", "%_\\'\"", "😀", "1-1-1"):
        found = await lookup(client, address)
        assert (found["districts"], found["town"], found["ambiguous"]) == ([], None, False), address
    assert (await client.get(LOOKUP)).status_code == 422
    assert (await client.get(LOOKUP, params={"address": ""})).status_code == 422
    assert (await client.get(LOOKUP, params={"address": "柏" * 201})).status_code == 422


# --- the resource search by address ------------------------------------------------------------------


async def test_the_search_by_address_gives_the_places_covering_its_district(client, settings) -> None:
    await put_gazetteer(client, settings)

    near = await names_near(client, "北海道河東郡音更町柏寿台1-5")

    assert near == {"地域包括支援センターらんらん", *WHOLE_TOWN}  # 音更中学校区・駒場中学校区, and 町内一円
    kyoei = await names_near(client, "共栄台西3丁目")
    assert kyoei == {"地域包括支援センターほほえみ", *WHOLE_TOWN}  # 共栄中学校区・下音更中学校区の一部
    # Ambiguous: every candidate district counts, 「下音更中学校区の一部」 included.
    shimo = await names_near(client, "大字下音更")
    assert shimo == {"地域包括支援センターほほえみ", "地域包括支援センターロータス音更", *WHOLE_TOWN}


@own_system  # the demo gazetteer, without address lines, first
async def test_an_address_in_no_listed_town_finds_only_the_whole_town_places(client, settings) -> None:
    assert await names_near(client, "柏寿台1-5") == WHOLE_TOWN  # the demo has no address lines
    await put_gazetteer(client, settings)
    assert await names_near(client, "緑陽台1丁目") == WHOLE_TOWN
    response = await client.get(RESOURCES, params={"address": "柏寿台1-5", "q": "らんらん"})
    assert [i["name"] for i in response.json()["items"]] == ["地域包括支援センターらんらん"]


# --- areas checked against the gazetteer ------------------------------------------------------------


def resource(*areas: tuple[str, str]) -> dict[str, Any]:
    return {
        "name": "ふれあいサロン柏寿台",
        "name_kana": "フレアイサロンハクジュダイ",
        "kind": "community_program",
        "field": "other",
        "areas": [{"kind": kind, "name": name} for kind, name in areas],
    }


@own_system  # 柏寿台 in no district: without the address lines the other tests put
async def test_publishing_an_area_outside_the_gazetteer_is_refused_naming_it(client, settings) -> None:
    body = resource(("junior_high_district", "音更中学校区"), ("junior_high_district", "音更西中学校区"))

    response = await client.post(RESOURCES, json=body, headers=editor(settings))

    problem = assert_problem(
        response, status=422, slug="invalid-area", fields={"areas[1].name": "unknown_district"}
    )
    message = problem["errors"][0]["message"]
    assert "音更西中学校区" in message and "音更中学校区、駒場中学校区、共栄中学校区" in message
    english = await client.post(RESOURCES, json=body, headers={**editor(settings), **EN})
    assert "Known districts: 音更中学校区, 駒場中学校区" in english.json()["errors"][0]["message"]
    assert await names_near(client, "柏寿台") == WHOLE_TOWN  # nothing saved


@own_system  # publishes an entry for the whole town, which every search by address would find
async def test_whole_town_phrases_and_parts_of_districts_are_accepted(client, settings) -> None:
    body = resource(("municipality", "町内全域"), ("junior_high_district", "下音更中学校区の一部"))
    created = await client.post(RESOURCES, json=body, headers=editor(settings))
    assert created.status_code == 201, created.text

    wrong = resource(("municipality", "音更中学校区"))
    response = await client.post(RESOURCES, json=wrong, headers=editor(settings))
    assert_problem(
        response, status=422, slug="invalid-area", fields={"areas[0].name": "not_whole_municipality"}
    )
    updated = await client.put(
        f"{RESOURCES}/{created.json()['id']}",
        json=resource(("district", "東地区")),
        headers={**editor(settings), "If-Match": created.json()["etag"]},
    )
    assert_problem(updated, status=422, slug="invalid-area", fields={"areas[0].name": "unknown_district"})


async def test_a_municipality_without_a_gazetteer_accepts_district_areas(client, settings) -> None:
    tono = editor(settings, tenant=TONO, org=f"{TONO}-city")
    gazetteer = await client.get(DISTRICTS, headers=tono)
    assert (gazetteer.json()["version"], gazetteer.json()["districts"]) == (0, [])

    created = await client.post(RESOURCES, json=resource(("district", "綾織地区")), headers=tono)
    assert created.status_code == 201, created.text

    first = await client.put(
        DISTRICTS,
        json={"municipality": "遠野市", "districts": [{"kind": "district", "name": "綾織地区"}]},
        headers={**tono, "If-Match": gazetteer.headers["etag"]},
    )
    assert first.status_code == 200 and first.json()["version"] == 1, first.text
    refused = await client.post(RESOURCES, json=resource(("district", "青笹地区")), headers=tono)
    assert_problem(refused, status=422, slug="invalid-area", fields={"areas[0].name": "unknown_district"})


def csv_with(*rows: dict[str, str]) -> bytes:
    columns = list(HEADERS.values())
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


async def test_the_csv_dry_run_reports_an_unknown_area_by_line_and_column(client, settings) -> None:
    row = {
        "名称": "柳町こども食堂",
        "フリガナ": "ヤナギマチコドモショクドウ",
        "種別": "地域づくり",
        "分野": "子ども",
    }
    body = csv_with(
        {**row, "対象圏域": "中学校区:音更中学校区; 全域:町内一円"},
        {**row, "名称": "東こども食堂", "対象圏域": "中学校区:東中学校区"},
    )
    headers = {**editor(settings), "Content-Type": "text/csv"}

    dry = await client.post(
        f"{RESOURCES}/import.csv", content=body, params={"dry_run": "true"}, headers=headers
    )

    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert [(p["line"], p["field"], p["code"]) for p in report["problems"]] == [
        (3, "対象圏域", "unknown_district")
    ]
    assert "東中学校区" in report["problems"][0]["message"]
    assert (report["valid"], report["would_create"]) == (1, 1)
    applied = await client.post(
        f"{RESOURCES}/import.csv", content=body, params={"dry_run": "false"}, headers=headers
    )
    assert_problem(
        applied, status=422, slug="csv-import-refused", fields={"line 3: 対象圏域": "unknown_district"}
    )


async def test_an_hsds_import_with_an_unknown_area_is_refused_before_any_write(client, settings) -> None:
    document = (await client.get("/directory/v1/hsds")).json()
    index, service = next((i, s) for i, s in enumerate(document["services"]) if s["service_areas"])
    service["service_areas"][0]["name"] = "音更西中学校区"
    service["name"] = "名前も変えた"

    response = await client.post("/directory/v1/hsds", json=document, headers=editor(settings))

    assert_problem(
        response,
        status=422,
        slug="invalid-area",
        fields={f"services[{index}].service_areas[0].name": "unknown_district"},
    )
    search = await client.get(RESOURCES, params={"q": "名前も変えた"})
    assert search.json()["items"] == []


# --- tenants --------------------------------------------------------------------------------------


async def test_another_municipality_s_gazetteer_is_invisible_and_untouched(client, settings) -> None:
    otofuke = await put_gazetteer(client, settings)
    nagaizumi = bearer(settings, "window_staff", tenant=NAGAIZUMI, org=NAGAIZUMI_TOWN)

    theirs = (await client.get(DISTRICTS, headers=nagaizumi)).json()
    assert [d["name"] for d in theirs["districts"]] == ["北小校区", "長小校区", "南小校区"]
    assert (theirs["tenant_id"], theirs["addresses"]) == (NAGAIZUMI, [])
    assert (await lookup(client, "柏寿台1-5", **nagaizumi))["districts"] == []
    near = await client.get(RESOURCES, params={"address": "柏寿台1-5", "limit": "200"}, headers=nagaizumi)
    assert {i["tenant_id"] for i in near.json()["items"]} == {NAGAIZUMI}

    their_editor = editor(settings, tenant=NAGAIZUMI, org=NAGAIZUMI_TOWN)
    cross = await client.put(
        DISTRICTS, json=gazetteer_body(addresses=[]), headers={**their_editor, "If-Match": otofuke["etag"]}
    )
    assert_problem(cross, status=412, slug="stale-write")  # Otofuke's ETag is not Nagaizumi's
    replaced = await client.put(
        DISTRICTS,
        json={"municipality": "長泉町", "districts": [{"kind": "elementary_district", "name": "北小校区"}]},
        headers={**their_editor, "If-Match": theirs["etag"]},
    )
    assert replaced.status_code == 200, replaced.text
    assert (await client.get(DISTRICTS)).json() == otofuke


async def test_demo_entries_the_gazetteer_refuses_are_skipped_and_the_service_still_starts(
    tmp_path: Path,
) -> None:
    """An editor's gazetteer that no longer has 駒場中学校区 (which らんらん's plan entry names) must not
    stop a later start-up that loads the demo data: that entry is left out, the rest loads."""
    settings = embedded_settings(tmp_path / "fresh", load_demo_data=False)
    first = create_app(settings)
    async with first.router.lifespan_context(first):
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=bearer(settings)
        ) as http:
            without_komaba = [d for d in OTOFUKE_JUNIOR_HIGH if d != "駒場中学校区"]
            await put_gazetteer(
                http,
                settings,
                districts=[{"kind": "junior_high_district", "name": d} for d in without_komaba],
                addresses=[],
            )
    second = create_app(settings.model_copy(update={"load_demo_data": True}))
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=bearer(settings)
        ) as http:
            names = {i["name"] for i in (await http.get(RESOURCES, params={"limit": "200"})).json()["items"]}
    assert "地域包括支援センターらんらん" not in names
    assert {"地域包括支援センターほほえみ", "こども家庭センター"} <= names
    assert len(names) == 24  # 音更町's 25 entries but らんらん
