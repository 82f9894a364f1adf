"""GET /intake/v1/consultations: filters as query parameters, cursor pagination, newest first.

The module's tests share one system and read the five consultations `seeded` records once, in Otofuke
and Nagaizumi; the pagination tests record theirs in Sakai (052124), each as staff of an operator
only it uses, so that every list a test reads holds only what it expects.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.pagination import encode_cursor
from shared.settings import Settings
from tests.api.helpers import (
    CONSULTATIONS,
    NAGAIZUMI_WINDOW,
    assert_problem,
    nagaizumi_staff,
    record_consultation,
    shares_one_system,
    willwork_staff,
)
from tests.support.builders import NAGAIZUMI, OTOFUKE, RANRAN_OPERATOR, SEIKATSU, WILLWORK
from tests.support.tokens import bearer

pytestmark = shares_one_system

SAKAI = "052124"
# Windows of Sakai's reference data and the operators that run them, one for each pagination test.
SAKAI_CITY_WINDOW, SAKAI_CITY = f"{SAKAI}-houkatsu-center", f"{SAKAI}-city"
SAKAI_SHAKYO_WINDOW, SAKAI_SHAKYO = f"{SAKAI}-houkatsu-center-tobu", f"{SAKAI}-shakyo"

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)


def at(hours: float) -> str:
    return (BASE + timedelta(hours=hours)).isoformat()


async def listed(client, headers: dict[str, str] | None = None, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(CONSULTATIONS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def ids(client, headers: dict[str, str] | None = None, **params: Any) -> list[str]:
    return [item["id"] for item in await listed(client, headers, **params)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def seeded(module_client: httpx.AsyncClient, module_settings: Settings) -> dict[str, str]:
    """Five consultations that differ in one filterable respect each; name -> id.

    Each is recorded by staff of the window's operator: らんらん's (the client), せいかつ相談窓口's,
    and Nagaizumi town's. The client, a municipal officer of Otofuke too, sees Otofuke's four.
    """
    client, settings = module_client, module_settings
    willwork = willwork_staff(settings)
    made = {
        "mother_8050": await record_consultation(client, received_at=at(0)),
        "debt_hardship": await record_consultation(
            client,
            headers=willwork,
            window_code=SEIKATSU,
            received_at=at(1),
            urgency="normal",
            person={"name": "帯広 太郎", "name_kana": "オビヒロ タロウ"},
            household=[],
            concerns=[{"code": "debt"}, {"code": "job_search"}],
            main_concern="debt",
        ),
        "child_abuse_emergency": await record_consultation(
            client,
            received_at=at(2),
            urgency="emergency",
            person={"name": "音更 次郎", "name_kana": "オトフケ ジロウ"},
            concerns=[{"code": "dv_abuse"}, {"code": "child_rearing"}],
            main_concern="dv_abuse",
        ),
        "nagaizumi": await record_consultation(
            client,
            headers=nagaizumi_staff(settings),
            window_code=NAGAIZUMI_WINDOW,
            received_at=at(3),
            person={"name": "長泉 花", "name_kana": "ナガイズミ ハナ"},
            concerns=[{"code": "income"}],
            main_concern="income",
        ),
        "food": await record_consultation(
            client,
            headers=willwork,
            window_code=SEIKATSU,
            received_at=at(4),
            urgency="high",
            person={"name": "木野 一", "name_kana": "キノ ハジメ"},
            concerns=[{"code": "no_food"}, {"code": "elder_care"}],
            main_concern="no_food",
        ),
    }
    return {name: c["id"] for name, c in made.items()}


async def test_the_list_is_newest_first(client, seeded) -> None:
    items = await listed(client)

    assert [i["id"] for i in items] == [
        seeded[n] for n in ("food", "child_abuse_emergency", "debt_hardship", "mother_8050")
    ]
    first = items[-1]
    assert first["person_name"] == "音更 花子"
    assert first["person_name_kana"] == "オトフケ ハナコ"
    assert first["main_concern"] == "elder_care"
    assert first["welfare_fields"] == ["elderly_care", "children", "hardship"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"window_code": SEIKATSU}, ["food", "debt_hardship"], id="window_code=seikatsu-sodan"),
        pytest.param({"urgency": "emergency"}, ["child_abuse_emergency"], id="urgency=emergency"),
        pytest.param({"urgency": "normal"}, ["debt_hardship"], id="urgency=normal"),
        pytest.param({"main_concern": "debt"}, ["debt_hardship"], id="main_concern=debt"),
        pytest.param({"concern": "elder_care"}, ["food", "mother_8050"], id="concern=elder_care"),
        pytest.param({"concern": "job_search"}, ["debt_hardship"], id="concern=job_search"),
        pytest.param(
            {"welfare_field": "children"},
            ["child_abuse_emergency", "mother_8050"],
            id="welfare_field=children",
        ),
        pytest.param(
            {"welfare_field": "disability"}, ["child_abuse_emergency"], id="welfare_field=disability"
        ),
        pytest.param({"welfare_field": "other"}, [], id="welfare_field=other"),
        pytest.param(
            {"received_from": at(1), "received_to": at(3)},
            ["child_abuse_emergency", "debt_hardship"],
            id="received between",
        ),
        pytest.param({"received_from": at(3.5)}, ["food"], id="received_from"),
        pytest.param({"received_to": at(0.5)}, ["mother_8050"], id="received_to"),
        pytest.param(
            {"name_kana": "オトフケ"}, ["child_abuse_emergency", "mother_8050"], id="name_kana=オトフケ"
        ),
        pytest.param({"name_kana": "オトフケ ハ"}, ["mother_8050"], id="name_kana=オトフケ ハ"),
        pytest.param({"name_kana": "ハナ"}, [], id="name_kana is a prefix, not a substring"),
        pytest.param({"urgency": "high", "window_code": SEIKATSU}, ["food"], id="filters combine"),
    ],
)
async def test_filters(client, seeded, params: dict[str, str], expected: list[str]) -> None:
    assert await ids(client, **params) == [seeded[name] for name in expected]


# --- who sees which: the municipality from the token, the organisation by the caller's role --------


async def test_each_municipality_lists_only_its_own(client, settings, seeded) -> None:
    nagaizumi = await listed(client, nagaizumi_staff(settings))
    otofuke = await listed(client)

    assert [i["id"] for i in nagaizumi] == [seeded["nagaizumi"]]
    assert {i["tenant_id"] for i in nagaizumi} == {NAGAIZUMI}
    assert {i["tenant_id"] for i in otofuke} == {OTOFUKE}
    assert seeded["nagaizumi"] not in [i["id"] for i in otofuke]


@pytest.mark.parametrize(
    "tenant_id",
    [pytest.param(NAGAIZUMI, id="another municipality"), pytest.param("16314", id="not a code")],
)
async def test_a_tenant_id_parameter_is_no_filter_any_more(client, seeded, tenant_id: str) -> None:
    # The municipality comes from the token only; the parameter neither widens nor is validated.
    assert await ids(client, tenant_id=tenant_id) == [
        seeded[n] for n in ("food", "child_abuse_emergency", "debt_hardship", "mother_8050")
    ]


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        pytest.param(RANRAN_OPERATOR, ["child_abuse_emergency", "mother_8050"], id="らんらん's operator"),
        pytest.param(WILLWORK, ["food", "debt_hardship"], id="せいかつ相談窓口's operator"),
        pytest.param("016314-keiseikai", [], id="an operator that recorded none"),
    ],
)
async def test_window_staff_list_only_what_their_organisation_received(
    client, settings, seeded, org: str, expected: list[str]
) -> None:
    staff = bearer(settings, "window_staff", org=org)

    assert await ids(client, staff) == [seeded[name] for name in expected]
    assert await ids(client, staff, urgency="high") == [
        seeded[name] for name in expected if name in ("food", "mother_8050")
    ]


async def test_the_received_range_accepts_any_time_zone(client, seeded) -> None:
    jst_from = (BASE + timedelta(hours=1)).astimezone(timezone(timedelta(hours=9)))

    assert await ids(client, received_from=jst_from.isoformat(), received_to=at(2)) == [
        seeded["debt_hardship"]
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("おとふけ", ["child_abuse_emergency", "mother_8050"], id="hiragana"),
        pytest.param("ｵﾄﾌｹ ﾊ", ["mother_8050"], id="half-width katakana"),
        pytest.param("きの", ["food"], id="hiragana of another name"),
    ],
)
async def test_a_kana_search_folds_hiragana_and_half_width(
    client, seeded, typed: str, expected: list[str]
) -> None:
    # domain.md: search must fold hiragana/katakana and full/half width (NFKC).
    assert await ids(client, name_kana=typed) == [seeded[name] for name in expected]


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"urgency": "soon"}, "urgency", "enum"),
        ({"main_concern": "lottery"}, "main_concern", "enum"),
        ({"concern": "lottery"}, "concern", "enum"),
        ({"welfare_field": "tax"}, "welfare_field", "enum"),
        ({"received_from": "yesterday"}, "received_from", "datetime_from_date_parsing"),
        ({"limit": "0"}, "limit", "greater_than_equal"),
        ({"limit": "201"}, "limit", "less_than_equal"),
        ({"limit": "ten"}, "limit", "int_parsing"),
    ],
)
async def test_bad_query_parameters_are_422_naming_the_parameter(
    client, params, field: str, code: str
) -> None:
    response = await client.get(CONSULTATIONS, params=params)

    assert_problem(response, status=422, slug="validation-error", fields={field: code})


@pytest.mark.parametrize("param", ["received_from", "received_to"])
async def test_a_date_time_range_without_a_time_zone_is_422_not_a_server_error(client, param: str) -> None:
    response = await client.get(CONSULTATIONS, params={param: "2026-01-01T00:00:00"})

    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, status=422, slug="validation-error")
    assert param in {e["field"] for e in response.json()["errors"]}


# --- pagination -----------------------------------------------------------------------------


async def test_pages_of_three_cover_every_consultation_once_newest_first(client, settings) -> None:
    # Seven consultations; three share one received_at, so the id must break the tie.
    staff = bearer(settings, "window_staff", tenant=SAKAI, org=SAKAI_CITY)
    offsets = [0, 1, 2, 2, 2, 5, 6]
    made = [
        (await record_consultation(client, headers=staff, window_code=SAKAI_CITY_WINDOW, received_at=at(h)))[
            "id"
        ]
        for h in offsets
    ]

    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(CONSULTATIONS, params=params, headers=staff)).json()
        pages += 1
        assert len(page["items"]) <= 3
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert sorted(i["id"] for i in seen) == sorted(made)
    assert len({i["id"] for i in seen}) == 7
    order = [(i["received_at"], i["id"]) for i in seen]
    assert order == sorted(order, reverse=True)
    assert [i["id"] for i in seen] == [i["id"] for i in await listed(client, staff, limit=50)]


async def test_a_full_last_page_has_no_next_cursor(client, settings) -> None:
    staff = bearer(settings, "window_staff", tenant=SAKAI, org=SAKAI_SHAKYO)
    for h in range(3):
        await record_consultation(client, headers=staff, window_code=SAKAI_SHAKYO_WINDOW, received_at=at(h))

    page = (await client.get(CONSULTATIONS, params={"limit": 3}, headers=staff)).json()

    assert len(page["items"]) == 3
    assert page["next_cursor"] is None


async def test_pagination_keeps_the_callers_municipality(client, seeded) -> None:
    first = (await client.get(CONSULTATIONS, params={"limit": 2})).json()
    second = (await client.get(CONSULTATIONS, params={"limit": 2, "cursor": first["next_cursor"]})).json()

    assert [i["id"] for i in first["items"] + second["items"]] == [
        seeded[n] for n in ("food", "child_abuse_emergency", "debt_hardship", "mother_8050")
    ]
    assert second["next_cursor"] is None


async def test_pagination_keeps_the_filters(client, seeded) -> None:
    # Nagaizumi's, received at(3), is in the range but never on a page of Otofuke's.
    params = {"received_from": at(1), "limit": 2}
    first = (await client.get(CONSULTATIONS, params=params)).json()
    second = (await client.get(CONSULTATIONS, params={**params, "cursor": first["next_cursor"]})).json()

    assert [i["id"] for i in first["items"] + second["items"]] == [
        seeded[n] for n in ("food", "child_abuse_emergency", "debt_hardship")
    ]
    assert len(first["items"]) == 2
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage!", id="garbage"),
        pytest.param(encode_cursor(["2026-01-01T00:00:00+00:00"]), id="wrong arity"),
        pytest.param(encode_cursor(["not a time", "x"]), id="not a time"),
        pytest.param(encode_cursor(["2026-01-01T00:00:00", "x"]), id="time without zone"),
    ],
)
async def test_a_cursor_that_is_not_ours_is_422_naming_the_cursor(client, cursor: str) -> None:
    response = await client.get(CONSULTATIONS, params={"cursor": cursor})

    assert_problem(response, status=422, slug="validation-error", fields={"cursor": "invalid"})
