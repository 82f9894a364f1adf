"""GET /intake/v1/windows: the consultation windows of the caller's municipality.

The embedded system loads the directory's reference data; intake's windows are what its events said.
The module's tests share one system and only read the windows, but for the one that retires one.
"""

from __future__ import annotations

from tests.api.helpers import (
    EN,
    NAGAIZUMI_TOWN,
    NAGAIZUMI_WINDOW,
    assert_problem,
    nagaizumi_staff,
    own_system,
    shares_one_system,
)
from tests.support.builders import NAGAIZUMI, OTOFUKE, OTOFUKE_TOWN, RANRAN, RANRAN_OPERATOR, WILLWORK
from tests.support.directory_events import settled
from tests.support.tokens import bearer

pytestmark = shares_one_system

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
    assert ranran["operator_name"] == "社会福祉法人音更町柏寿協会"
    assert (ranran["phone"], ranran["extension"]) == ("67-7090", None)
    assert ranran["catchment"] == "音更中学校区・駒場中学校区"
    assert ranran["active"] is True
    kikan = next(w for w in response.json() if w["code"] == "016314-kikan-sodan")
    assert (kikan["phone"], kikan["extension"], kikan["catchment"]) == ("42-2111", "512", "町内一円")


async def test_each_municipality_sees_only_its_own_windows(client, settings) -> None:
    nagaizumi = await client.get(WINDOWS, headers=nagaizumi_staff(settings))
    nobody = await client.get(WINDOWS, headers=bearer(settings, tenant=CHIYODA, org=f"{CHIYODA}-town"))

    assert nagaizumi.status_code == 200, nagaizumi.text
    windows = {w["code"]: w for w in nagaizumi.json()}
    assert len(windows) == 13  # every window of the directory's Nagaizumi entries
    assert {w["tenant_id"] for w in windows.values()} == {NAGAIZUMI}
    fukushi = windows[NAGAIZUMI_WINDOW]
    assert (fukushi["name"], fukushi["operator_id"], fukushi["operation"]) == (
        "福祉保険課",
        NAGAIZUMI_TOWN,
        "direct",
    )
    # The plan names no operator for some commissioned windows: listed, but nobody's organisation.
    kita = windows["223417-hokatsu-kita"]
    assert (kita["operator_id"], kita["operator_name"], kita["operation"]) == (None, None, "commissioned")
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


@own_system  # retires らんらん
async def test_a_window_the_directory_retires_is_no_longer_listed(client, app, settings) -> None:
    editor = bearer(settings, "directory_editor", org=OTOFUKE_TOWN)
    entry = await client.get(f"/directory/v1/resources/{RANRAN}", headers=editor)
    retired = await client.post(
        f"/directory/v1/resources/{RANRAN}/retirement", headers={**editor, "If-Match": entry.json()["etag"]}
    )
    assert retired.status_code == 200, retired.text
    await settled(app)

    codes = [w["code"] for w in (await client.get(WINDOWS)).json()]

    assert RANRAN not in codes
    assert len(codes) == 5
