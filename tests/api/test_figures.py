"""年度の実績 from records spread over two fiscal years, with records on 3/31 and 4/1 at the boundary:
counted by the date they happened (entered afterwards), in JSON and in CSV (UTF-8 with BOM, cp932).

The module's tests share one system; they work in Daisen (052124), a municipality only they use here."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_problem, shares_one_system
from tests.support.builders import consultation_body
from tests.support.tokens import bearer

pytestmark = shares_one_system

TENANT = "052124"
CITY = "052124-city"


@pytest.fixture
def officer(settings) -> dict[str, str]:
    return bearer(settings, "municipal_officer", tenant=TENANT, org=CITY, subject="officer-figures")


@pytest.fixture
def coordinator(settings) -> dict[str, str]:
    return bearer(settings, "coordinator", tenant=TENANT, org=CITY, subject="coordinator-figures")


def values(body: dict[str, Any]) -> dict[str, int]:
    return {row["indicator"]: row["value"] for row in body["rows"]}


async def test_records_are_counted_in_the_fiscal_year_they_happened(
    client: httpx.AsyncClient, officer, coordinator
) -> None:
    for held_on in ("2025-03-31", "2025-04-01", "2026-03-31", "2026-04-01"):
        plan_meeting = {"held_on": held_on, "members": [{"organisation_id": CITY, "name": "市 担当"}]}
        response = await client.post("/coordination/v1/plan-meetings", json=plan_meeting, headers=coordinator)
        assert response.status_code == 201, response.text
    support_meeting = {
        "held_on": "2026-03-31",
        "members": [{"organisation_id": "052124-shakyo", "name": "社協 担当", "subject": "shakyo-staff"}],
        "concerning": "見守りが必要な世帯",
    }
    response = await client.post("/coordination/v1/support-meetings", json=support_meeting, headers=officer)
    assert response.status_code == 201, response.text

    fy2024 = (
        await client.get("/coordination/v1/figures", params={"fiscal_year": 2024}, headers=officer)
    ).json()
    fy2025 = (
        await client.get("/coordination/v1/figures", params={"fiscal_year": 2025}, headers=officer)
    ).json()

    assert (fy2024["fiscal_year_label"], fy2025["fiscal_year_label"]) == ("令和6年度", "令和7年度")
    assert values(fy2024)["plan_meetings_held"] == 1  # 2025-03-31
    assert values(fy2025)["plan_meetings_held"] == 2  # 2025-04-01 and 2026-03-31
    assert values(fy2025)["support_meetings_held"] == 1
    assert values(fy2024)["support_meetings_held"] == 0
    assert fy2025["tenant_id"] == TENANT


async def test_figures_come_as_csv_in_utf8_with_bom_or_cp932(client: httpx.AsyncClient, officer) -> None:
    for encoding, media in (
        ("utf-8-sig", "text/csv; charset=utf-8"),
        ("cp932", "text/csv; charset=Shift_JIS"),
    ):
        response = await client.get(
            "/coordination/v1/figures",
            params={"fiscal_year": 2025, "format": "csv", "encoding": encoding},
            headers=officer,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media
        if encoding == "utf-8-sig":
            assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.content.decode(encoding))))
        assert rows[0][:2] == ["年度", "令和7年度"]
        assert rows[1] == ["指標コード", "指標", "値"]
        assert rows[2][:2] == ["plan_meetings_held", "重層的支援会議の開催回数"]


async def test_intake_figures_follow_the_same_convention(
    client: httpx.AsyncClient, officer, settings
) -> None:
    response = await client.get("/intake/v1/figures", params={"fiscal_year": 2026}, headers=officer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["service"] == "intake" and body["fiscal_year_label"] == "令和8年度"
    assert {"consultations_received", "referrals_made", "referrals_made.declined"} <= set(values(body))
    window = bearer(settings, "window_staff", tenant=TENANT, org=CITY)
    assert_problem(
        await client.get("/intake/v1/figures", params={"fiscal_year": 2026}, headers=window),
        status=403,
        slug="forbidden",
    )
    bad = await client.get("/intake/v1/figures", params={"fiscal_year": 1900}, headers=officer)
    assert_problem(bad, status=422, slug="validation-error", fields={"fiscal_year": "greater_than_equal"})


async def test_consultations_count_in_the_fiscal_year_they_were_received_in_japan(
    client: httpx.AsyncClient, officer, settings
) -> None:
    staff = bearer(settings, "window_staff", tenant=TENANT, org=CITY, subject="staff-figures")
    # 23:30 on 31 March and 00:10 on 1 April in Japan: one each side of the year's turn (in UTC both
    # fall on 31 March).
    for received_at in ("2025-03-31T23:30:00+09:00", "2025-04-01T00:10:00+09:00"):
        body = consultation_body(
            window_code="052124-houkatsu-center", received_at=received_at, channel="phone"
        )
        response = await client.post("/intake/v1/consultations", json=body, headers=staff)
        assert response.status_code == 201, response.text

    fy2024 = values(
        (await client.get("/intake/v1/figures", params={"fiscal_year": 2024}, headers=officer)).json()
    )
    fy2025 = values(
        (await client.get("/intake/v1/figures", params={"fiscal_year": 2025}, headers=officer)).json()
    )

    assert fy2024["consultations_received"] == fy2025["consultations_received"] == 1
    assert fy2024["consultations_received.window.052124-houkatsu-center"] == 1
    assert fy2025["consultations_received.channel.phone"] == 1
    assert fy2024["consultations_received.field.elderly_care"] == 1
