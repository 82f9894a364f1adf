"""GET /intake/v1/windows: the consultation windows of the caller's municipality."""

from __future__ import annotations

from services.intake.windows.models import Window
from shared.runtime import runtimes_of
from tests.api.helpers import EN, NAGAIZUMI_TOWN, NAGAIZUMI_WINDOW, assert_problem, nagaizumi_staff
from tests.support.builders import NAGAIZUMI, OTOFUKE, RANRAN, RANRAN_OPERATOR, WILLWORK
from tests.support.tokens import bearer

WINDOWS = "/intake/v1/windows"
CHIYODA = "131016"  # a valid local government code with no windows here


async def test_the_active_windows_of_the_callers_municipality_are_listed_by_code(client) -> None:
    response = await client.get(WINDOWS)

    assert response.status_code == 200
    codes = [w["code"] for w in response.json()]
    assert codes == sorted(codes)
    assert len(codes) == 6 and RANRAN in codes
    assert {w["tenant_id"] for w in response.json()} == {OTOFUKE}
    ranran = next(w for w in response.json() if w["code"] == RANRAN)
    assert ranran["name"] == "地域包括支援センターらんらん"
    assert ranran["field"] == "elderly_care"
    assert ranran["operation"] == "commissioned"
    assert ranran["operator_id"] == RANRAN_OPERATOR
    assert ranran["active"] is True


async def test_each_municipality_sees_only_its_own_windows(client, settings) -> None:
    nagaizumi = await client.get(WINDOWS, headers=nagaizumi_staff(settings))
    nobody = await client.get(WINDOWS, headers=bearer(settings, tenant=CHIYODA, org=f"{CHIYODA}-town"))

    assert nagaizumi.status_code == 200, nagaizumi.text
    assert [(w["code"], w["tenant_id"], w["operator_id"]) for w in nagaizumi.json()] == [
        (NAGAIZUMI_WINDOW, NAGAIZUMI, NAGAIZUMI_TOWN)
    ]
    assert nobody.status_code == 200, nobody.text
    assert nobody.json() == []


async def test_window_staff_see_every_window_of_their_municipality(client, settings) -> None:
    # Windows are not personal data: staff of one operator may refer people to the others.
    staff = await client.get(WINDOWS, headers=bearer(settings, "window_staff", org=WILLWORK))

    assert staff.status_code == 200, staff.text
    assert [w["code"] for w in staff.json()] == [w["code"] for w in (await client.get(WINDOWS)).json()]


async def test_the_municipality_comes_from_the_token_not_a_query_parameter(client) -> None:
    response = await client.get(WINDOWS, params={"tenant_id": NAGAIZUMI})

    assert response.status_code == 200, response.text
    assert {w["tenant_id"] for w in response.json()} == {OTOFUKE}


async def test_a_token_whose_municipality_is_not_a_local_government_code_is_401(client, settings) -> None:
    # 01631 is five digits; 016315 has the wrong check digit (Otofuke is 016314).
    for tenant in ("01631", "016315"):
        response = await client.get(WINDOWS, headers={**EN, **bearer(settings, tenant=tenant)})

        body = assert_problem(response, status=401, slug="unauthenticated")
        assert body["title"] == "Authentication is required."
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_closed_window_is_not_listed(client, app) -> None:
    async with runtimes_of(app)["intake"].db.transaction() as session:
        (await session.get(Window, RANRAN)).active = False

    codes = [w["code"] for w in (await client.get(WINDOWS)).json()]

    assert RANRAN not in codes
    assert len(codes) == 5
