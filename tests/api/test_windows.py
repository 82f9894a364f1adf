"""GET /intake/v1/windows: the consultation windows, per municipality."""

from __future__ import annotations

from services.intake.windows.models import Window
from shared.runtime import runtimes_of
from tests.api.helpers import EN, assert_problem
from tests.support.builders import NAGAIZUMI, OTOFUKE, RANRAN

WINDOWS = "/intake/v1/windows"


async def test_all_active_windows_are_listed_by_code(client) -> None:
    response = await client.get(WINDOWS)

    assert response.status_code == 200
    codes = [w["code"] for w in response.json()]
    assert codes == sorted(codes)
    assert RANRAN in codes
    assert {w["tenant_id"] for w in response.json()} == {OTOFUKE, NAGAIZUMI}


async def test_windows_are_filtered_by_municipality(client) -> None:
    otofuke = (await client.get(WINDOWS, params={"tenant_id": OTOFUKE})).json()
    nagaizumi = (await client.get(WINDOWS, params={"tenant_id": NAGAIZUMI})).json()
    nobody = (await client.get(WINDOWS, params={"tenant_id": "999999"})).json()

    assert len(otofuke) == 6 and {w["tenant_id"] for w in otofuke} == {OTOFUKE}
    assert [w["code"] for w in nagaizumi] == ["223417-W01"]
    assert nobody == []
    ranran = next(w for w in otofuke if w["code"] == RANRAN)
    assert ranran["name"] == "地域包括支援センターらんらん"
    assert ranran["field"] == "elderly_care"
    assert ranran["operation"] == "commissioned"
    assert ranran["active"] is True


async def test_a_municipality_code_is_six_digits(client) -> None:
    response = await client.get(WINDOWS, params={"tenant_id": "01631"}, headers=EN)

    body = assert_problem(
        response, status=422, slug="validation-error", fields={"tenant_id": "string_pattern_mismatch"}
    )
    assert body["title"] == "The input is not valid."


async def test_a_closed_window_is_not_listed(client, app) -> None:
    async with runtimes_of(app)["intake"].db.transaction() as session:
        (await session.get(Window, RANRAN)).active = False

    codes = [w["code"] for w in (await client.get(WINDOWS, params={"tenant_id": OTOFUKE})).json()]

    assert RANRAN not in codes
    assert len(codes) == 5
