"""POST /intake/v1/consultations and GET /intake/v1/consultations/{id}.

Bad input is a 4xx problem naming the field, and nothing is saved: no consultation, no outbox row.
The module's tests share one system (each records its own consultations); the rules behind the 422s
are tabled in tests/unit/test_consultation_rules.py, here each is shown wired to the route.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.intake.consultations.models import Consultation
from services.intake.windows.models import Window
from shared.runtime import runtimes_of
from tests.api.helpers import (
    CONSULTATIONS,
    EN,
    NAGAIZUMI_TOWN,
    NAGAIZUMI_WINDOW,
    assert_problem,
    intake_saved,
    nagaizumi_staff,
    own_system,
    shares_one_system,
    willwork_staff,
)
from tests.support.builders import (
    NAGAIZUMI,
    OTOFUKE,
    RANRAN,
    RANRAN_OPERATOR,
    SEIKATSU,
    WILLWORK,
    consultation_body,
)
from tests.support.tokens import bearer

pytestmark = shares_one_system

JST = timezone(timedelta(hours=9))


def in_days(days: int) -> str:
    """A date relative to today in Japan, where the window is."""
    return (datetime.now(JST).date() + timedelta(days=days)).isoformat()


async def assert_nothing_saved(app, before: dict[str, int]) -> None:
    """Intake holds what it held `before` the request: no consultation, consent, referral, outbox row."""
    assert await intake_saved(app) == before


# --- recording and reading back -------------------------------------------------------------


async def test_a_consultation_is_recorded_and_can_be_read_back(client, app) -> None:
    before = await intake_saved(app)
    response = await client.post(CONSULTATIONS, json=consultation_body())

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{CONSULTATIONS}/{created['id']}"
    assert created["tenant_id"] == OTOFUKE
    assert created["window_code"] == RANRAN
    assert created["person"]["name"] == "音更 花子"
    assert created["main_concern"] == "elder_care"
    assert created["welfare_fields"] == ["elderly_care", "children", "hardship"]
    assert created["referrals"] == []

    fetched = await client.get(f"{CONSULTATIONS}/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert await intake_saved(app) == {**before, "consultations": before["consultations"] + 1}


async def test_concerns_come_back_labelled_with_the_main_one_marked(client) -> None:
    created = (await client.post(CONSULTATIONS, json=consultation_body())).json()

    concerns = {c["code"]: c for c in created["concerns"]}
    assert concerns["elder_care"] == {
        "code": "elder_care",
        "label": "介護のこと",
        "detail": "足腰が弱り買い物が難しい",
        "main": True,
    }
    assert concerns["withdrawal_truancy"]["label"] == "ひきこもり・不登校"
    assert not concerns["withdrawal_truancy"]["main"]


async def test_the_form_is_normalised_the_way_windows_type_it(client) -> None:
    body = consultation_body(
        person={
            "name_kana": "おとふけ　はなこ",
            "phone": "０１５５－４２－２１１１",
            "address": {"postal_code": "0800198", "text": "音更町元町2番地"},
        },
        household=[{"relation": "長男", "name_kana": "ｵﾄﾌｹ ﾀﾛｳ"}],
    )

    created = (await client.post(CONSULTATIONS, json=body)).json()

    assert created["person"]["name_kana"] == "オトフケ ハナコ"
    assert created["person"]["phone"] == "0155-42-2111"
    assert created["person"]["address"]["postal_code"] == "080-0198"
    assert created["household"][0]["name_kana"] == "オトフケ タロウ"


async def test_a_phone_number_with_an_extension_is_accepted(client) -> None:
    created = (
        await client.post(CONSULTATIONS, json=consultation_body(person={"phone": "0155-42-2111内線512"}))
    ).json()

    assert created["person"]["phone"] == "0155-42-2111内線512"


async def test_a_visitor_who_is_not_the_person_is_recorded(client) -> None:
    body = consultation_body(visitor={"name": "音更 一郎", "relation": "民生委員", "phone": "090-1234-5678"})

    created = (await client.post(CONSULTATIONS, json=body)).json()
    fetched = (await client.get(f"{CONSULTATIONS}/{created['id']}")).json()

    assert fetched["visitor"] == {"name": "音更 一郎", "relation": "民生委員", "phone": "090-1234-5678"}


async def test_the_tenant_is_the_windows_municipality(client, settings) -> None:
    response = await client.post(
        CONSULTATIONS, json=consultation_body(window_code=NAGAIZUMI_WINDOW), headers=nagaizumi_staff(settings)
    )

    assert response.status_code == 201, response.text
    assert response.json()["tenant_id"] == NAGAIZUMI


async def test_a_consultation_of_another_municipality_is_not_found(client, settings) -> None:
    nagaizumi = nagaizumi_staff(settings)
    theirs = (
        await client.post(
            CONSULTATIONS, json=consultation_body(window_code=NAGAIZUMI_WINDOW), headers=nagaizumi
        )
    ).json()
    ours = (await client.post(CONSULTATIONS, json=consultation_body())).json()

    assert_problem(
        await client.get(f"{CONSULTATIONS}/{theirs['id']}"), status=404, slug="consultation-not-found"
    )
    assert_problem(
        await client.get(f"{CONSULTATIONS}/{ours['id']}", headers=nagaizumi),
        status=404,
        slug="consultation-not-found",
    )
    assert (await client.get(f"{CONSULTATIONS}/{theirs['id']}", headers=nagaizumi)).status_code == 200


@pytest.mark.parametrize(
    ("window_code", "tenant", "org"),
    [
        pytest.param(NAGAIZUMI_WINDOW, OTOFUKE, RANRAN_OPERATOR, id="another municipality's window"),
        pytest.param(SEIKATSU, OTOFUKE, RANRAN_OPERATOR, id="another organisation's window"),
        pytest.param(RANRAN, NAGAIZUMI, NAGAIZUMI_TOWN, id="a window of the town the caller is not in"),
    ],
)
async def test_staff_record_only_at_their_own_organisations_windows(
    client, app, settings, window_code: str, tenant: str, org: str
) -> None:
    before = await intake_saved(app)
    response = await client.post(
        CONSULTATIONS,
        json=consultation_body(window_code=window_code),
        headers={**EN, **bearer(settings, tenant=tenant, org=org)},
    )

    body = assert_problem(
        response, status=422, slug="unknown-window", fields={"window_code": "unknown_window"}
    )
    assert body["title"] == "Unknown consultation window."
    await assert_nothing_saved(app, before)


async def test_the_consultation_belongs_to_the_windows_organisation(client, app, settings) -> None:
    willwork = willwork_staff(settings)
    response = await client.post(
        CONSULTATIONS, json=consultation_body(window_code=SEIKATSU), headers=willwork
    )
    assert response.status_code == 201, response.text
    created = response.json()

    async with runtimes_of(app)["intake"].db.transaction() as session:
        stored = await session.get(Consultation, created["id"])
        assert stored is not None and stored.organisation_id == WILLWORK
    # The municipality sees it (tenant reach); its own window staff see it too.
    assert (await client.get(f"{CONSULTATIONS}/{created['id']}")).json() == created
    assert (await client.get(f"{CONSULTATIONS}/{created['id']}", headers=willwork)).json() == created


async def test_recording_a_consultation_writes_no_event(client, app) -> None:
    before = await intake_saved(app)

    response = await client.post(CONSULTATIONS, json=consultation_body())

    assert response.status_code == 201, response.text
    assert (await intake_saved(app))["outbox"] == before["outbox"]


async def test_an_unknown_consultation_is_a_404_problem(client) -> None:
    ja = await client.get(f"{CONSULTATIONS}/00000000-0000-0000-0000-000000000000")
    en = await client.get(f"{CONSULTATIONS}/00000000-0000-0000-0000-000000000000", headers=EN)

    assert assert_problem(ja, status=404, slug="consultation-not-found")["title"] == "相談が見つかりません。"
    assert assert_problem(en, status=404, slug="consultation-not-found")["title"] == "Consultation not found."


# --- bad input: 4xx, the field named, nothing saved --------------------------------------------


def _without_person() -> dict[str, Any]:
    body = consultation_body()
    del body["person"]
    return body


BAD_INPUT: list[Any] = [
    pytest.param(
        lambda: consultation_body(nickname="ハナ"), "nickname", "extra_forbidden", id="unknown field"
    ),
    pytest.param(
        lambda: consultation_body(person={"nickname": "ハナ"}),
        "person.nickname",
        "extra_forbidden",
        id="unknown nested field",
    ),
    pytest.param(
        lambda: consultation_body(household=[{"relation": "長男", "hobby": "ゲーム"}]),
        "household[0].hobby",
        "extra_forbidden",
        id="unknown field in a household row",
    ),
    pytest.param(lambda: consultation_body(urgency=5), "urgency", "enum", id="urgency is a number"),
    pytest.param(lambda: consultation_body(urgency="soon"), "urgency", "enum", id="urgency not a choice"),
    pytest.param(
        lambda: consultation_body(concerns="debt"), "concerns", "list_type", id="concerns is a string"
    ),
    pytest.param(lambda: consultation_body(concerns=[]), "concerns", "too_short", id="no concerns"),
    pytest.param(
        lambda: consultation_body(concerns=[{"code": "lottery"}], main_concern="lottery"),
        "concerns[0].code",
        "enum",
        id="unknown concern",
    ),
    pytest.param(_without_person, "person", "missing", id="person missing"),
    pytest.param(
        lambda: consultation_body(person={"birth_date": "1980-02-30"}),
        "person.birth_date",
        "date_from_datetime_parsing",
        id="impossible date",
    ),
    pytest.param(
        lambda: consultation_body(received_at="2026-11-20T10:30:00"),
        "received_at",
        "timezone_aware",
        id="received_at without time zone",
    ),
    pytest.param(
        lambda: consultation_body(person={"name_kana": "音更 花子"}),
        "person.name_kana",
        "value_error",
        id="kana reading in kanji",
    ),
    pytest.param(
        lambda: consultation_body(household=[{"relation": "長男", "name_kana": "太郎"}]),
        "household[0].name_kana",
        "value_error",
        id="household kana reading in kanji",
    ),
    pytest.param(
        lambda: consultation_body(person={"address": {"postal_code": "080-01988", "text": "音更町"}}),
        "person.address.postal_code",
        "value_error",
        id="bad postal code",
    ),
    pytest.param(
        lambda: consultation_body(person={"phone": "call me maybe"}),
        "person.phone",
        "value_error",
        id="bad phone",
    ),
    pytest.param(
        lambda: consultation_body(visitor={"name": "音更 一郎", "relation": "知人", "phone": "12"}),
        "visitor.phone",
        "value_error",
        id="bad visitor phone",
    ),
    pytest.param(
        lambda: consultation_body(household=[{"relation": "長男", "age": 131}]),
        "household[0].age",
        "less_than_equal",
        id="implausible age",
    ),
]


@pytest.mark.parametrize(("make_body", "field", "code"), BAD_INPUT)
async def test_schema_violations_are_422_naming_the_field_and_save_nothing(
    client, app, make_body: Callable[[], dict[str, Any]], field: str, code: str
) -> None:
    before = await intake_saved(app)
    response = await client.post(CONSULTATIONS, json=make_body())

    body = assert_problem(response, status=422, slug="validation-error", fields={field: code})
    assert body["title"] == "入力内容に誤りがあります。"
    await assert_nothing_saved(app, before)


# Each rule of services/intake/consultations/rules.py once, through the route: the dates (the
# person's and household rows' birth dates, received_at) and the concerns. Their cases (today, 1900,
# the clock's skew, several problems at once) are tabled in tests/unit/test_consultation_rules.py.
RULE_VIOLATIONS: list[Any] = [
    pytest.param(
        lambda: consultation_body(
            household=[
                {"relation": "夫", "birth_date": "1940-01-01"},
                {"relation": "長男", "birth_date": in_days(2)},
            ]
        ),
        "household[1].birth_date",
        "in_future",
        id="household birth date in the future",
    ),
    pytest.param(
        lambda: consultation_body(person={"birth_date": "1899-12-31"}),
        "person.birth_date",
        "too_old",
        id="the person's birth date before 1900",
    ),
    pytest.param(
        lambda: consultation_body(received_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()),
        "received_at",
        "in_future",
        id="received in the future",
    ),
    pytest.param(
        lambda: consultation_body(main_concern="debt"),
        "main_concern",
        "not_in_concerns",
        id="main concern not among the concerns",
    ),
    pytest.param(
        lambda: consultation_body(
            concerns=[{"code": "elder_care"}, {"code": "elder_care", "detail": "again"}]
        ),
        "concerns[1].code",
        "duplicate",
        id="duplicate concerns",
    ),
]


@pytest.mark.parametrize(("make_body", "field", "code"), RULE_VIOLATIONS)
async def test_rule_violations_are_422_naming_the_field_and_save_nothing(
    client, app, make_body: Callable[[], dict[str, Any]], field: str, code: str
) -> None:
    before = await intake_saved(app)
    response = await client.post(CONSULTATIONS, json=make_body())

    assert_problem(response, status=422, slug="validation-error", fields={field: code})
    await assert_nothing_saved(app, before)


async def test_a_birth_date_of_today_is_accepted(client) -> None:
    response = await client.post(CONSULTATIONS, json=consultation_body(person={"birth_date": in_days(0)}))

    assert response.status_code == 201, response.text
    assert response.json()["person"]["birth_date"] == in_days(0)


async def test_every_offending_field_is_named_at_once(client, app) -> None:
    body = consultation_body(urgency=5, person={"phone": "x", "nickname": "ハナ"})
    before = await intake_saved(app)

    response = await client.post(CONSULTATIONS, json=body)

    assert_problem(
        response,
        status=422,
        slug="validation-error",
        fields={"urgency": "enum", "person.phone": "value_error", "person.nickname": "extra_forbidden"},
    )
    await assert_nothing_saved(app, before)


async def test_malformed_json_is_a_400_naming_the_body(client, app) -> None:
    before = await intake_saved(app)
    response = await client.post(
        CONSULTATIONS,
        content=json.dumps(consultation_body())[:-5].encode(),
        headers={"content-type": "application/json"},
    )

    assert_problem(response, status=400, slug="malformed-json", fields={"body": "json_invalid"})
    await assert_nothing_saved(app, before)


async def test_malformed_json_is_explained_in_english_on_request(client) -> None:
    response = await client.post(
        CONSULTATIONS, content=b'{"window_code": ', headers={"content-type": "application/json", **EN}
    )

    body = assert_problem(response, status=400, slug="malformed-json", fields={"body": "json_invalid"})
    assert body["title"] == "The body is not valid JSON."
    assert response.headers["content-language"] == "en"


async def test_an_unknown_window_is_named_and_nothing_is_saved(client, app) -> None:
    before = await intake_saved(app)
    response = await client.post(CONSULTATIONS, json=consultation_body(window_code="016314-W99"), headers=EN)

    body = assert_problem(
        response, status=422, slug="unknown-window", fields={"window_code": "unknown_window"}
    )
    assert body["title"] == "Unknown consultation window."
    await assert_nothing_saved(app, before)


@own_system  # closes a window of the reference data, which other tests record at
async def test_a_closed_window_no_longer_receives_consultations(client, app, settings) -> None:
    before = await intake_saved(app)
    async with runtimes_of(app)["intake"].db.transaction() as session:
        (await session.get(Window, SEIKATSU)).active = False

    # Staff of the window's own operator, so that the refusal is about the window being closed.
    response = await client.post(
        CONSULTATIONS, json=consultation_body(window_code=SEIKATSU), headers=willwork_staff(settings)
    )

    assert_problem(response, status=422, slug="unknown-window", fields={"window_code": "unknown_window"})
    await assert_nothing_saved(app, before)


async def test_validation_messages_follow_accept_language(client) -> None:
    body = consultation_body(person={"name_kana": "音更"})

    ja = (await client.post(CONSULTATIONS, json=body)).json()
    en = (await client.post(CONSULTATIONS, json=body, headers=EN)).json()

    assert ja["errors"][0]["message"] == "フリガナはひらがな・カタカナで入力してください。"
    assert en["errors"][0]["message"] == "The reading must be in hiragana or katakana."
    assert en["title"] == "The input is not valid."
