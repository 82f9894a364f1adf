"""社会資源一覧の CSV: export for Excel, import back (dry run or all-or-nothing), in UTF-8 and cp932.

The demo data holds Otofuke's 25 reference entries (seed 000 §2(2)); 地域包括支援センターらんらん is
one of them.

The module's tests share one system where they add entries of their own and read only those (or only
what a refused or dry-run import reports). Tests that read or re-import Otofuke's whole directory as
the reference data made it, or create entries that others with the same names would also find,
start a system of their own (`own_system`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.directory.app import definition as directory
from services.directory.db import audit_log, messaging
from services.directory.resources import exchange_api
from services.directory.resources.csv_exchange import HEADERS
from services.directory.resources.models import Resource, ResourceVersion
from services.embedded import DEFINITIONS
from shared.runtime import build_app, runtimes_of
from shared.settings import Settings
from tests.api.helpers import EN, assert_problem, own_system, shares_one_system
from tests.support.builders import NAGAIZUMI, OTOFUKE_TOWN
from tests.support.tokens import bearer

RESOURCES = "/directory/v1/resources"
EXPORT = f"{RESOURCES}/export.csv"
IMPORT = f"{RESOURCES}/import.csv"
OTOFUKE_ENTRIES = 25
RANRAN = "016314-ranran"
HAKUJU = "016314-hakuju-kyokai"  # 社会福祉法人音更町柏寿協会, operator of らんらん
COLUMNS = list(HEADERS.values())

pytestmark = shares_one_system


@pytest.fixture(scope="module")
def build_system() -> Callable[[Settings], FastAPI]:
    """The embedded system, with the CSV router mounted ahead of /resources/{resource_id}."""

    def build(settings: Settings) -> FastAPI:
        if exchange_api.router in directory.routers:
            return build_app(list(DEFINITIONS.values()), settings, title="test")
        wired = dataclasses.replace(directory, routers=(exchange_api.router, *directory.routers))
        definitions = [wired if d is directory else d for d in DEFINITIONS.values()]
        return build_app(definitions, settings, title="test")

    return build


def editor(settings: Settings, **headers: str) -> dict[str, str]:
    return {**bearer(settings, "directory_editor", org=OTOFUKE_TOWN), **headers}


def csv_file(rows: list[dict[str, str]], encoding: str = "utf-8-sig", columns: list[str] = COLUMNS) -> bytes:
    """A file as Excel saves it: header row, CRLF, every column present."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return buffer.getvalue().encode(encoding)


def read_csv(body: bytes, encoding: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode(encoding), newline="")))


def new_row(name: str, kana: str, **cells: str) -> dict[str, str]:
    return {"名称": name, "フリガナ": kana, "種別": "地域づくり", "分野": "生活困窮", **cells}


async def export(client: httpx.AsyncClient, encoding: str = "utf-8-sig") -> bytes:
    response = await client.get(EXPORT, params={"encoding": encoding})
    assert response.status_code == 200, response.text
    return response.content


async def import_csv(
    client: httpx.AsyncClient,
    settings: Settings,
    body: bytes,
    *,
    dry_run: bool,
    headers: dict[str, str] | None = None,
    **params: str,
) -> httpx.Response:
    return await client.post(
        IMPORT,
        content=body,
        params={"dry_run": str(dry_run).lower(), **params},
        headers={"Content-Type": "text/csv", **editor(settings), **(headers or {})},
    )


async def search(client: httpx.AsyncClient, q: str) -> list[dict[str, Any]]:
    response = await client.get(RESOURCES, params={"q": q})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def directory_rows(app: FastAPI) -> dict[str, int]:
    """What the directory holds: resources, their versions, events waiting or sent, audit entries."""
    async with runtimes_of(app)["directory"].db.transaction() as session:
        counts = {}
        for name, table in (
            ("resources", Resource.__table__),
            ("versions", ResourceVersion.__table__),
            ("outbox", messaging.outbox),
            ("audit", audit_log),
        ):
            counts[name] = await session.scalar(select(func.count()).select_from(table)) or 0
        return counts


# --- export -------------------------------------------------------------------------------------


@own_system  # exactly Otofuke's reference entries
async def test_the_utf8_export_opens_in_excel_with_japanese_headers_and_labels(client) -> None:
    response = await client.get(EXPORT)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="directory-016314-')
    assert "filename*=UTF-8''%E7%A4%BE%E4%BC%9A%E8%B3%87%E6%BA%90" in disposition  # 社会資源
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    text = response.content.decode("utf-8-sig")
    assert text.count("\r\n") >= OTOFUKE_ENTRIES + 1
    rows = read_csv(response.content, "utf-8-sig")
    assert list(rows[0]) == COLUMNS
    assert COLUMNS[:18] == [
        "ID",
        "名称",
        "フリガナ",
        "種別",
        "分野",
        "法定事業",
        "実施機関ID",
        "実施方式",
        "所管課",
        "事業名",
        "内容",
        "郵便番号",
        "住所",
        "電話",
        "対象圏域",
        "日程",
        "開所日時",
        "状態",
    ]
    assert len(rows) == OTOFUKE_ENTRIES  # the caller's municipality only
    ranran = next(r for r in rows if r["ID"] == RANRAN)
    assert ranran["名称"] == "地域包括支援センターらんらん"
    assert (ranran["種別"], ranran["分野"], ranran["実施方式"]) == ("相談窓口", "介護", "委託")
    assert ranran["実施機関ID"] == HAKUJU
    assert ranran["電話"] == "67-7090; FAX:67-7640"
    assert ranran["対象圏域"] == "junior_high_district:音更中学校区; junior_high_district:駒場中学校区"
    assert ranran["状態"] == "公開中"
    assert ranran["版"] == "1"


@own_system  # exactly Otofuke's reference entries
async def test_the_cp932_export_opens_in_japanese_excel(client) -> None:
    response = await client.get(EXPORT, params={"encoding": "cp932"})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=Shift_JIS"
    assert not response.content.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    rows = read_csv(response.content, "cp932")
    assert list(rows[0]) == COLUMNS
    assert {r["名称"] for r in rows} >= {"地域包括支援センターらんらん"}
    assert len(rows) == OTOFUKE_ENTRIES


async def test_cp932_refuses_a_character_it_lacks_naming_the_resource_and_column(client, settings) -> None:
    created = await client.post(
        RESOURCES,
        json={
            "name": "𠮷田サロン",
            "name_kana": "ヨシダサロン",
            "kind": "community_program",
            "field": "other",
        },
        headers=editor(settings),
    )
    assert created.status_code == 201, created.text
    resource_id = created.json()["id"]

    refused = await client.get(EXPORT, params={"encoding": "cp932"})

    body = assert_problem(
        refused, status=422, slug="csv-not-encodable", fields={f"{resource_id}: 名称": "not_encodable"}
    )
    assert "U+20BB7" in body["errors"][0]["message"]
    assert "𠮷田サロン" in (await export(client)).decode("utf-8-sig")  # UTF-8 holds it


async def test_every_reader_may_export_but_an_auditor_may_not(client, settings) -> None:
    window_staff = await client.get(EXPORT, headers=bearer(settings, "window_staff"))
    auditor = await client.get(EXPORT, headers=bearer(settings, "auditor"))

    assert window_staff.status_code == 200, window_staff.text
    assert_problem(auditor, status=403, slug="forbidden")


# --- round trip ---------------------------------------------------------------------------------


@own_system  # re-imports Otofuke's reference entries
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
async def test_an_exported_file_imports_back_with_no_problems_and_no_changes(
    client, settings, app, encoding
) -> None:
    exported = await export(client, encoding)
    before = await directory_rows(app)

    response = await import_csv(client, settings, exported, dry_run=True)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["problems"] == [] and report["warnings"] == []
    assert report["encoding"] == encoding  # detected
    assert report["rows"] == report["valid"] == OTOFUKE_ENTRIES
    # Every row names an existing resource. Rows that change nothing are left alone (no version, no
    # event), the way the HSDS import treats them; the edited rows below count as updates.
    assert report["unchanged"] == OTOFUKE_ENTRIES
    assert report["would_update"] == report["would_create"] == 0

    applied = await import_csv(client, settings, exported, dry_run=False)

    assert applied.status_code == 200, applied.text
    assert applied.json() == {"dry_run": False, "created": 0, "updated": 0, "unchanged": OTOFUKE_ENTRIES}
    after = await directory_rows(app)
    assert after == {**before, "audit": before["audit"] + 1}


@own_system  # らんらん at version 1, the rest unchanged
async def test_rows_edited_in_excel_update_their_resources_and_keep_what_has_no_column(
    client, settings, app
) -> None:
    created = await client.post(
        RESOURCES,
        json={
            "name": "木野ふれあいサロン",
            "name_kana": "キノフレアイサロン",
            "kind": "community_program",
            "field": "elderly_care",
            "description": '=HYPERLINK("http://example.com")',
            "accepts": {"age_from": 65, "conditions": ["要支援"]},
        },
        headers=editor(settings),
    )
    assert created.status_code == 201, created.text
    salon = created.json()
    rows = read_csv(await export(client), "utf-8-sig")
    edited = next(r for r in rows if r["ID"] == salon["id"])
    assert edited["内容"] == '\'=HYPERLINK("http://example.com")'  # Excel shows it as text
    ranran = next(r for r in rows if r["ID"] == RANRAN)
    ranran["電話"] = "67-7090; 42-2111(内線512); FAX:67-7640"
    edited["日程"] = "毎月第1・第3水曜日 10:00〜12:00"

    dry = await import_csv(client, settings, csv_file(rows), dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json()["would_update"] == 2
    assert dry.json()["unchanged"] == OTOFUKE_ENTRIES - 1
    applied = await import_csv(client, settings, csv_file(rows), dry_run=False)

    assert applied.status_code == 200, applied.text
    assert applied.json()["updated"] == 2
    now = (await client.get(f"{RESOURCES}/{RANRAN}")).json()
    assert now["phones"] == [
        {"number": "67-7090", "extension": None, "type": "voice"},
        {"number": "42-2111", "extension": "512", "type": "voice"},
        {"number": "67-7640", "extension": None, "type": "fax"},
    ]
    assert now["version"] == 2 and now["updated_by"] == "staff-yamada"
    salon_now = (await client.get(f"{RESOURCES}/{salon['id']}")).json()
    assert salon_now["schedule"] == "毎月第1・第3水曜日 10:00〜12:00"
    assert salon_now["description"] == salon["description"]  # the quote Excel needed is gone again
    assert salon_now["accepts"] == salon["accepts"]  # 対象者 has no column: kept


@own_system  # らんらん at version 1 before it
async def test_a_row_changed_by_someone_since_the_export_is_refused(client, settings, app) -> None:
    rows = read_csv(await export(client), "utf-8-sig")
    current = await client.get(f"{RESOURCES}/{RANRAN}")
    body = {k: current.json()[k] for k in ("name", "name_kana", "kind", "field", "organisation_id")}
    changed = await client.put(
        f"{RESOURCES}/{RANRAN}",
        json={**body, "schedule": "平日 8:45〜17:30"},
        headers=editor(settings, **{"If-Match": current.headers["etag"]}),
    )
    assert changed.status_code == 200, changed.text
    next(r for r in rows if r["ID"] == RANRAN)["住所"] = "柏寿台1番地6"

    response = await import_csv(client, settings, csv_file(rows), dry_run=True)

    problems = response.json()["problems"]
    assert [(p["field"], p["code"]) for p in problems] == [("版", "stale_row")]
    assert "現在 2" in problems[0]["message"]


# --- new entries ------------------------------------------------------------------------------


@own_system  # each case creates the same entries
@pytest.mark.parametrize(
    ("encoding", "given"),
    [("utf-8-sig", None), ("utf-8", None), ("cp932", None), ("cp932", "cp932"), ("utf-8-sig", "utf-8-sig")],
)
async def test_new_rows_are_created_and_found_by_search(client, settings, app, encoding, given) -> None:
    body = csv_file(
        [
            new_row(
                "柳町こども食堂",
                "やなぎまちこどもしょくどう",
                分野="子ども",
                郵便番号="080-0101",
                電話="0155-42-2111(内線512); FAX:0155-42-2112",
                対象圏域="municipality:町内一円",
                日程="毎月第2土曜日",
            ),
            new_row(
                "すずらん就労体験", "スズランシュウロウタイケン", 種別="参加支援の受入先", 実施機関ID=HAKUJU
            ),
        ],
        encoding,
    )
    before = await directory_rows(app)
    params = {"encoding": given} if given else {}

    response = await import_csv(client, settings, body, dry_run=False, **params)

    assert response.status_code == 200, response.text
    assert response.json() == {"dry_run": False, "created": 2, "updated": 0, "unchanged": 0}
    found = await search(client, "こども食堂")
    assert [r["name"] for r in found] == ["柳町こども食堂"]
    assert found[0]["name_kana"] == "ヤナギマチコドモショクドウ"
    assert found[0]["field"] == "children"
    assert found[0]["areas"] == [{"kind": "municipality", "name": "町内一円"}]
    assert found[0]["phones"][0] == {"number": "0155-42-2111", "extension": "512", "type": "voice"}
    host = await search(client, "すずらん就労")
    assert (
        host[0]["kind"] == "participation_host"
        and host[0]["organisation_name"] == "社会福祉法人音更町柏寿協会"
    )
    after = await directory_rows(app)
    assert after["resources"] == before["resources"] + 2
    assert after["audit"] == before["audit"] + 1  # one entry for the whole import


async def test_japanese_labels_and_english_codes_are_both_accepted(client, settings) -> None:
    body = csv_file(
        [
            new_row(
                "ラベル窓口",
                "ラベルマドグチ",
                種別="相談窓口",
                分野="障がい",
                実施方式="委託",
                対象圏域="中学校区:音更中学校区",
            ),
            new_row(
                "コード窓口",
                "コードマドグチ",
                種別="window",
                分野="disability",
                実施方式="commissioned",
                対象圏域="junior_high_district:音更中学校区",
            ),
        ]
    )

    response = await import_csv(client, settings, body, dry_run=False)

    assert response.status_code == 200, response.text
    labelled, coded = (await search(client, "ラベル窓口"))[0], (await search(client, "コード窓口"))[0]
    for entry in (labelled, coded):
        assert (entry["kind"], entry["field"], entry["operation"]) == ("window", "disability", "commissioned")
        assert entry["areas"] == [{"kind": "junior_high_district", "name": "音更中学校区"}]


async def test_a_new_row_named_like_an_existing_resource_is_flagged_but_not_blocked(client, settings) -> None:
    body = csv_file([new_row("地域包括支援センターらんらん", "チイキホウカツシエンセンターランラン")])

    report = (await import_csv(client, settings, body, dry_run=True)).json()

    assert report["problems"] == []
    assert report["would_create"] == 1
    assert [(w["line"], w["field"], w["code"]) for w in report["warnings"]] == [(2, "ID", "same_name")]
    assert RANRAN in report["warnings"][0]["message"]


# --- all or nothing ---------------------------------------------------------------------------


BAD_AMONG_GOOD = [
    new_row("よい行その一", "ヨイギョウソノイチ"),  # line 2
    new_row("電話の悪い行", "デンワノワルイギョウ", 電話="42-2111; 123"),  # line 3
    new_row("よい行その二", "ヨイギョウソノニ"),  # line 4
    new_row("分野の悪い行", "ブンヤノワルイギョウ", 分野="医療"),  # line 5
    new_row("機関の悪い行", "キカンノワルイギョウ", 実施機関ID="223417-town"),  # line 6: another town's
]


async def test_a_file_with_bad_rows_writes_nothing_and_names_each_row_and_column(
    client, settings, app
) -> None:
    before = await directory_rows(app)

    response = await import_csv(client, settings, csv_file(BAD_AMONG_GOOD), dry_run=False)

    body = assert_problem(
        response,
        status=422,
        slug="csv-import-refused",
        fields={
            "line 3: 電話": "value_error",
            "line 5: 分野": "unknown_choice",
            "line 6: 実施機関ID": "unknown_organisation",
        },
    )
    assert len(body["errors"]) == 3
    assert "「123」" in body["errors"][0]["message"]
    assert "介護（elderly_care）" in body["errors"][1]["message"]  # the choices are listed
    assert (body["rows"], body["valid"]) == (5, 2)
    assert await directory_rows(app) == before
    assert await search(client, "よい行") == []


async def test_the_dry_run_reports_the_same_problems_in_the_callers_language(client, settings, app) -> None:
    before = await directory_rows(app)

    japanese = (await import_csv(client, settings, csv_file(BAD_AMONG_GOOD), dry_run=True)).json()
    english = (await import_csv(client, settings, csv_file(BAD_AMONG_GOOD), dry_run=True, headers=EN)).json()

    assert [(p["line"], p["field"]) for p in japanese["problems"]] == [
        (3, "電話"),
        (5, "分野"),
        (6, "実施機関ID"),
    ]
    assert (japanese["rows"], japanese["valid"], japanese["would_create"]) == (5, 2, 2)
    assert "形式" in japanese["problems"][0]["message"]
    assert "'123'" in english["problems"][0]["message"]
    assert "organisation" in english["problems"][2]["message"]
    assert await directory_rows(app) == before


async def test_a_dry_run_never_writes(client, settings, app) -> None:
    before = await directory_rows(app)

    response = await client.post(  # dry_run left out: the default
        IMPORT,
        content=csv_file([new_row("試しの行", "タメシノギョウ")]),
        headers={"Content-Type": "text/csv", **editor(settings)},
    )

    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True and response.json()["would_create"] == 1
    assert await directory_rows(app) == before
    assert await search(client, "試しの行") == []


async def test_ids_of_another_municipality_or_none_at_all_are_not_updated(client, settings) -> None:
    nagaizumi_entry = f"{NAGAIZUMI}-hokatsu-kita"
    body = csv_file(
        [
            new_row("長泉の行", "ナガイズミノギョウ", ID=nagaizumi_entry),
            new_row("ない行", "ナイギョウ", ID="016314-no-such-thing"),
            new_row("重なる行", "カサナルギョウ", ID=RANRAN),
            new_row("重なる行", "カサナルギョウ", ID=RANRAN),
        ]
    )

    report = (await import_csv(client, settings, body, dry_run=True)).json()

    assert [(p["line"], p["field"], p["code"]) for p in report["problems"]] == [
        (2, "ID", "unknown_id"),
        (3, "ID", "unknown_id"),
        (5, "ID", "duplicate_id"),
    ]
    assert report["would_update"] == 1


async def test_the_file_itself_is_checked(client, settings) -> None:
    async def problems(body: bytes) -> list[tuple[int, str, str]]:
        response = await import_csv(client, settings, body, dry_run=True)
        assert response.status_code == 200, response.text
        return [(p["line"], p["field"], p["code"]) for p in response.json()["problems"]]

    assert await problems(b"") == [(1, "ファイル", "empty")]
    assert await problems(csv_file([])) == [(2, "ファイル", "empty")]
    assert await problems(b"name,kind\r\nx,y\r\n") == [(1, "ファイル", "no_header")]
    without_phone = [c for c in COLUMNS if c != "電話"] + ["備考"]
    assert await problems(csv_file([new_row("a", "ア")], columns=without_phone)) == [
        (1, "備考", "unknown_column"),
        (1, "電話", "missing_column"),
    ]
    short = csv_file([new_row("a", "ア")]) + "b,ビ\r\n".encode()
    assert await problems(short) == [(3, "行", "column_count")]
    assert await problems("ID,名称".encode("utf-16")) == [(1, "ファイル", "encoding")]
    assert await problems(csv_file([new_row("a", "ア")], "cp932")) == []


async def test_a_file_in_the_wrong_encoding_is_reported_not_garbled(client, settings) -> None:
    body = csv_file([new_row("音更", "オトフケ")], "cp932")

    response = await import_csv(client, settings, body, dry_run=True, encoding="utf-8-sig")

    assert [(p["field"], p["code"]) for p in response.json()["problems"]] == [("ファイル", "encoding")]


async def test_a_form_upload_is_refused_with_how_to_send_the_file(client, settings) -> None:
    response = await client.post(
        IMPORT,
        files={"file": ("resources.csv", csv_file([new_row("a", "ア")]), "text/csv")},
        headers=editor(settings),
    )

    assert_problem(response, status=415, slug="csv-body-expected")


async def test_only_editors_may_import(client, settings, app) -> None:
    before = await directory_rows(app)
    body = csv_file([new_row("権限のない行", "ケンゲンノナイギョウ")])

    for roles in (("window_staff",), ("municipal_officer",), ("auditor",)):
        response = await client.post(
            IMPORT,
            content=body,
            params={"dry_run": "false"},
            headers={"Content-Type": "text/csv", **bearer(settings, *roles, org=OTOFUKE_TOWN)},
        )
        assert_problem(response, status=403, slug="forbidden")
    integration = await import_csv(
        client, settings, body, dry_run=True, headers=bearer(settings, "integration", org=HAKUJU)
    )
    assert integration.status_code == 200, integration.text
    assert (await directory_rows(app))["resources"] == before["resources"]


async def test_the_openapi_document_describes_both_as_csv(client) -> None:
    spec = (await client.get("/openapi.json")).json()

    exported = spec["paths"][EXPORT]["get"]
    imported = spec["paths"][IMPORT]["post"]
    assert exported["operationId"] == "exportResourcesCsv"
    assert "text/csv" in exported["responses"]["200"]["content"]
    assert imported["operationId"] == "importResourcesCsv"
    assert "text/csv" in imported["requestBody"]["content"]
    assert {p["name"] for p in imported["parameters"] if p["in"] == "query"} == {"dry_run", "encoding"}


# --- 開所日時: structured schedules in the notation staff type (schedule_notation.py) -------------

OPENING_HOURS = "月〜金 8:30-17:15／第2土曜 9:00-12:00"


async def window_with_schedules(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    created = await client.post(
        RESOURCES,
        json={
            "name": "柏寿台ふれあい窓口",
            "name_kana": "ハクジュダイフレアイマドグチ",
            "kind": "window",
            "field": "elderly_care",
            "schedules": [
                {
                    "freq": "WEEKLY",
                    "byday": ["MO", "TU", "WE", "TH", "FR"],
                    "opens_at": "08:30",
                    "closes_at": "17:15",
                    "description": "受付は17:00まで",  # the notation has no place for it
                },
                {"freq": "MONTHLY", "byday": ["2SA"], "opens_at": "09:00", "closes_at": "12:00"},
            ],
        },
        headers=editor(settings),
    )
    assert created.status_code == 201, created.text
    window: dict[str, Any] = created.json()
    return window


@own_system  # the only entry with opening hours
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
async def test_opening_hours_are_exported_in_the_notation_and_import_back_unchanged(
    client, settings, app, encoding
) -> None:
    window = await window_with_schedules(client, settings)

    exported = await export(client, encoding)

    row = next(r for r in read_csv(exported, encoding) if r["ID"] == window["id"])
    # cp932 has one wave dash: 〜 comes back from a Shift_JIS file as ～, which reads the same.
    assert row["開所日時"] == (
        OPENING_HOURS if encoding == "utf-8-sig" else OPENING_HOURS.replace("〜", "～")
    )
    assert all(r["開所日時"] == "" for r in read_csv(exported, encoding) if r["ID"] != window["id"])
    before = await directory_rows(app)
    report = (await import_csv(client, settings, exported, dry_run=True)).json()
    assert report["problems"] == []
    assert report["unchanged"] == OTOFUKE_ENTRIES + 1
    applied = await import_csv(client, settings, exported, dry_run=False)
    assert applied.json()["unchanged"] == OTOFUKE_ENTRIES + 1
    assert await directory_rows(app) == {**before, "audit": before["audit"] + 1}
    now = (await client.get(f"{RESOURCES}/{window['id']}")).json()
    assert now["schedules"] == window["schedules"] and now["version"] == 1  # the description too


@own_system  # each case creates the same entries
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
async def test_new_rows_with_opening_hours_are_found_when_they_are_open(client, settings, encoding) -> None:
    body = csv_file(
        [
            new_row("柳町ふれあいサロン", "ヤナギマチフレアイサロン", 開所日時="第1・第3水曜 10:00-12:00"),
            # as typed with an IME: full-width digits, colon, dash and wave dash
            new_row(
                "柳町夜間電話相談",
                "ヤナギマチヤカンデンワソウダン",
                開所日時="月～日 １８：００－２２：００（祝日も開所）",
            ),
            new_row("柳町の日程だけの行", "ヤナギマチノニッテイダケノギョウ", 日程="不定期"),
        ],
        encoding,
    )

    response = await import_csv(client, settings, body, dry_run=False)

    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3
    found = {r["name"]: r for r in await search(client, "柳町")}
    assert found["柳町ふれあいサロン"]["schedules"] == [
        {
            "freq": "MONTHLY",
            "byday": ["1WE", "3WE"],
            "bymonthday": [],
            "opens_at": "10:00:00",
            "closes_at": "12:00:00",
            "valid_from": None,
            "valid_to": None,
            "closed_on_holidays": True,
            "description": None,
        }
    ]
    hotline = found["柳町夜間電話相談"]["schedules"]
    assert [(s["byday"], s["opens_at"], s["closed_on_holidays"]) for s in hotline] == [
        (["MO", "TU", "WE", "TH", "FR", "SA", "SU"], "18:00:00", False)
    ]
    assert found["柳町の日程だけの行"]["schedules"] == []  # an empty cell: no structured schedules

    async def open_at(day: str, at: str) -> set[str]:
        page = await client.get(RESOURCES, params={"q": "柳町", "open_on": day, "open_at": at})
        assert page.status_code == 200, page.text
        return {r["name"] for r in page.json()["items"]}

    assert await open_at("2026-12-02", "10:30") == {"柳町ふれあいサロン"}  # the first Wednesday
    assert await open_at("2026-12-09", "10:30") == set()  # the second
    assert await open_at("2026-11-23", "19:00") == {"柳町夜間電話相談"}  # 勤労感謝の日: open all the same


async def test_a_bad_opening_hours_cell_is_reported_with_its_row_and_nothing_is_written(
    client, settings, app
) -> None:
    rows = [
        new_row("よい開所日時の行", "ヨイカイショニチジノギョウ", 開所日時="月〜金 9:00-17:00"),  # line 2
        new_row("第6週の行", "ダイロクシュウノギョウ", 開所日時="月〜金 9:00-17:00／第6水曜 10:00-12:00"),
        new_row("逆さまの時間の行", "サカサマノジカンノギョウ", 開所日時="月 17:00-9:00"),  # line 4
    ]
    before = await directory_rows(app)

    japanese = (await import_csv(client, settings, csv_file(rows), dry_run=True)).json()
    english = (await import_csv(client, settings, csv_file(rows), dry_run=True, headers=EN)).json()
    refused = await import_csv(client, settings, csv_file(rows), dry_run=False)

    assert [(p["line"], p["field"], p["code"]) for p in japanese["problems"]] == [
        (3, "開所日時", "unreadable"),
        (4, "開所日時", "unreadable"),
    ]
    assert "2件目「第6水曜 10:00-12:00」の「第6」" in japanese["problems"][0]["message"]
    assert "「17:00-9:00」" in japanese["problems"][1]["message"]
    assert "rule 2 '第6水曜 10:00-12:00' at '第6'" in english["problems"][0]["message"]
    assert (japanese["rows"], japanese["valid"]) == (3, 1)
    assert_problem(
        refused,
        status=422,
        slug="csv-import-refused",
        fields={"line 3: 開所日時": "unreadable", "line 4: 開所日時": "unreadable"},
    )
    assert await directory_rows(app) == before


async def test_a_file_from_before_the_opening_hours_column_still_imports_and_keeps_them(
    client, settings, app
) -> None:
    window = await window_with_schedules(client, settings)
    rows = read_csv(await export(client), "utf-8-sig")
    next(r for r in rows if r["ID"] == window["id"])["住所"] = "音更町柏寿台1番地"
    rows.append(new_row("古い形式の新しい行", "フルイケイシキノアタラシイギョウ"))
    without = [c for c in COLUMNS if c != "開所日時"]

    report = (await import_csv(client, settings, csv_file(rows, columns=without), dry_run=True)).json()
    applied = await import_csv(client, settings, csv_file(rows, columns=without), dry_run=False)

    assert report["problems"] == []
    assert (report["would_update"], report["would_create"]) == (1, 1)
    assert applied.status_code == 200, applied.text
    now = (await client.get(f"{RESOURCES}/{window['id']}")).json()
    assert now["address"] == "音更町柏寿台1番地"
    assert now["schedules"] == window["schedules"]  # no column: kept, not emptied
    assert (await search(client, "古い形式"))[0]["schedules"] == []


async def test_opening_hours_edited_or_emptied_in_excel_update_the_resource(client, settings) -> None:
    window = await window_with_schedules(client, settings)
    rows = read_csv(await export(client), "utf-8-sig")
    row = next(r for r in rows if r["ID"] == window["id"])
    row["開所日時"] = "月〜金 8:30-17:15／第2・第4土 9:00-12:00"

    changed = await import_csv(client, settings, csv_file(rows), dry_run=False)

    assert changed.json()["updated"] == 1
    now = (await client.get(f"{RESOURCES}/{window['id']}")).json()
    assert now["schedules"][0] == window["schedules"][0]  # the rule left as it was keeps its description
    assert now["schedules"][1]["byday"] == ["2SA", "4SA"]
    rows = read_csv(await export(client), "utf-8-sig")
    next(r for r in rows if r["ID"] == window["id"])["開所日時"] = ""

    emptied = await import_csv(client, settings, csv_file(rows), dry_run=False)

    assert emptied.json()["updated"] == 1
    assert (await client.get(f"{RESOURCES}/{window['id']}")).json()["schedules"] == []
