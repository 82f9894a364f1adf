"""The operator command `annual-table` against the embedded system, over httpx's ASGI transport.

Records of Otofuke (016314) spread over FY2024, FY2025 and FY2026, some at the turn of the year
(3/31 and 4/1, in Japan), are entered through the API; the command's CSV (cp932) and workbook hold
exactly the rows the figures endpoints give for the year asked, with the values expected from what
was entered. Intake and coordination publish figures today; participation, outreach and the
directory do not yet, so they are listed as not provided: when one of them does, its line here
changes. A service that does not answer stops the command, and no file is left behind.

The module's tests share one system; they are the only ones to enter records in Otofuke's FY2025 here.
"""

from __future__ import annotations

import csv
import io
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest_asyncio
from fastapi import FastAPI

from services.annual_table import command
from services.cli import build_parser
from shared.settings import Settings
from tests.api.helpers import shares_one_system
from tests.support.builders import OTOFUKE, OTOFUKE_TOWN, RANRAN_OPERATOR, consultation_body
from tests.support.tokens import bearer, token

pytestmark = shares_one_system

BASE = "http://127.0.0.1:8000"
RANRAN = "016314-ranran"

# What was entered (below) counted by hand, FY2025 = 2025-04-01 … 2026-03-31 in Japan.
EXPECTED_2025 = {
    ("intake", "consultations_received"): ("相談受付件数", 2),
    ("intake", f"consultations_received.window.{RANRAN}"): ("うち 地域包括支援センターらんらん", 2),
    ("intake", "consultations_received.field.elderly_care"): ("分野: 介護", 2),
    ("intake", "consultations_received.field.disability"): ("分野: 障がい", 0),
    ("intake", "consultations_received.channel.counter"): ("経路: 来所", 1),
    ("intake", "consultations_received.channel.phone"): ("経路: 電話", 1),
    ("intake", "referrals_made"): ("多機関協働事業へのつなぎ件数", 0),
    ("coordination", "plan_meetings_held"): ("重層的支援会議の開催回数", 2),
    ("coordination", "plan_meetings_held.re_plan"): ("重層的支援会議（再プラン）", 0),
    ("coordination", "plans_made"): ("プラン作成数（確定したもの）", 0),
    ("coordination", "support_meetings_held"): ("支援会議の開催回数", 1),
    ("coordination", "cases_opened"): ("多機関協働事業で受け付けたケース数", 0),
}
EXPECTED_2024 = {
    ("intake", "consultations_received"): ("相談受付件数", 1),
    ("intake", "consultations_received.channel.counter"): ("経路: 来所", 1),
    ("coordination", "plan_meetings_held"): ("重層的支援会議の開催回数", 1),
    ("coordination", "support_meetings_held"): ("支援会議の開催回数", 1),
}
PROJECTS = {"intake": "包括的相談支援事業", "coordination": "多機関協働事業"}
NOT_PROVIDED = "提供なし：年度の実績を公開していません (not provided: no figures endpoint)"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def entered(module_client: httpx.AsyncClient, module_settings: Settings) -> None:
    """The records, once for the module: the all-round client is window staff of らんらん's operator."""
    for received_at, channel in (
        ("2025-03-31T23:30:00+09:00", "counter"),  # FY2024 (in UTC already 31 March, 14:30)
        ("2025-04-01T00:10:00+09:00", "phone"),  # FY2025 (in UTC still 31 March)
        ("2026-03-31T23:30:00+09:00", "counter"),  # FY2025
        ("2026-04-01T00:10:00+09:00", "phone"),  # FY2026
    ):
        body = consultation_body(
            window_code=RANRAN,
            received_at=received_at,
            channel=channel,
            concerns=[{"code": "elder_care"}],
            main_concern="elder_care",
        )
        response = await module_client.post("/intake/v1/consultations", json=body)
        assert response.status_code == 201, response.text
    coordinator = bearer(module_settings, "coordinator", org=OTOFUKE_TOWN, subject="coordinator-annual")
    officer = bearer(module_settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer-annual")
    for held_on in ("2025-03-31", "2025-04-01", "2026-03-31", "2026-04-01"):
        meeting = {"held_on": held_on, "members": [{"organisation_id": OTOFUKE_TOWN, "name": "町 担当"}]}
        response = await module_client.post(
            "/coordination/v1/plan-meetings", json=meeting, headers=coordinator
        )
        assert response.status_code == 201, response.text
    for held_on in ("2025-03-31", "2026-03-31"):
        support_meeting = {
            "held_on": held_on,
            "members": [
                {"organisation_id": RANRAN_OPERATOR, "name": "らんらん 担当", "subject": "ranran-staff"}
            ],
            "concerning": "見守りが必要な世帯",
        }
        response = await module_client.post(
            "/coordination/v1/support-meetings", json=support_meeting, headers=officer
        )
        assert response.status_code == 201, response.text


async def annual_table(
    settings: Settings, transport: httpx.AsyncBaseTransport, out: Path, *flags: str, year: int = 2025
) -> tuple[int, str, str]:
    """Run the command as `python -m services.cli annual-table …` would, over `transport`."""
    args = build_parser().parse_args(
        ["annual-table", "--tenant", OTOFUKE, "--fiscal-year", str(year), "--out", str(out), *flags]
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    code = await command.run(args, settings, transport=transport, out=stdout, err=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


async def endpoint_rows(client: httpx.AsyncClient, settings: Settings, year: int) -> list[tuple[Any, ...]]:
    """What the services' figures endpoints answer an officer of Otofuke for `year`."""
    officer = bearer(settings, "municipal_officer", org=OTOFUKE_TOWN, subject="officer-annual")
    rows = []
    for service in ("intake", "coordination"):
        response = await client.get(f"/{service}/v1/figures", params={"fiscal_year": year}, headers=officer)
        assert response.status_code == 200, response.text
        rows += [(service, r["indicator"], r["label"], r["value"]) for r in response.json()["rows"]]
    return rows


def holds(rows: list[tuple[Any, ...]], expected: dict[tuple[str, str], tuple[str, int]]) -> None:
    found = {(service, indicator): (label, value) for service, indicator, label, value in rows}
    assert {key: found.get(key) for key in expected} == expected


async def test_the_table_holds_every_services_figures_of_the_year_in_cp932_and_excel(
    entered: None, app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    code, printed, complaints = await annual_table(settings, httpx.ASGITransport(app=app), out)
    assert code == 0, complaints
    assert sorted(p.name for p in out.iterdir()) == [
        "annual-table-016314-2025.csv",
        "annual-table-016314-2025.xlsx",
    ]
    assert "wrote" in printed and complaints == ""

    lines = list(csv.reader(io.StringIO((out / "annual-table-016314-2025.csv").read_bytes().decode("cp932"))))
    assert lines[0] == ["市町村コード", "年度", "西暦年度", "事業", "サービス", "指標コード", "指標", "値"]
    assert {tuple(line[:3]) for line in lines[1:]} == {("016314", "令和7年度", "2025")}
    assert all(line[3] == PROJECTS[line[4]] for line in lines[1:])
    csv_rows = [(line[4], line[5], line[6], int(line[7])) for line in lines[1:]]
    holds(csv_rows, EXPECTED_2025)
    assert csv_rows == await endpoint_rows(client, settings, 2025)

    book = openpyxl.load_workbook(out / "annual-table-016314-2025.xlsx")
    sheet = book["実績表"]
    assert sheet["A1"].value == "市町村コード 016314　令和7年度（FY2025）　年度の実績表"
    assert [c.value for c in sheet[3]] == ["事業", "サービス", "指標コード", "指標", "値"]
    book_rows = [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=4)]
    assert all(type(row[4]) is int for row in book_rows)
    assert [row[1:] for row in book_rows] == csv_rows

    sources = {row[0].value: [c.value for c in row] for row in book["出典"].iter_rows(min_row=2)}
    assert list(sources) == ["intake", "coordination", "participation", "outreach", "directory"]
    assert sources["intake"][2] == f"{BASE}/intake/v1/figures"
    assert sources["intake"][4] == "回答あり (answered)"
    assert sources["coordination"][2] == f"{BASE}/coordination/v1/figures"
    assert sources["coordination"][5] == sum(1 for row in csv_rows if row[0] == "coordination")
    for service in ("participation", "outreach", "directory"):
        assert (sources[service][2], sources[service][4]) == (f"{BASE}/openapi.json", NOT_PROVIDED)


async def test_the_year_before_is_its_own_table(
    entered: None, app: FastAPI, client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    code, _, complaints = await annual_table(settings, httpx.ASGITransport(app=app), tmp_path, year=2024)
    assert code == 0, complaints
    lines = list(
        csv.reader(io.StringIO((tmp_path / "annual-table-016314-2024.csv").read_bytes().decode("cp932")))
    )
    assert lines[1][:3] == ["016314", "令和6年度", "2024"]
    csv_rows = [(line[4], line[5], line[6], int(line[7])) for line in lines[1:]]
    holds(csv_rows, EXPECTED_2024)
    assert csv_rows == await endpoint_rows(client, settings, 2024)


async def test_in_distributed_mode_each_service_is_asked_at_its_own_url(
    entered: None, app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    urls = {name: f"http://{name}.test:80{n}" for n, name in enumerate(PROJECTS, start=1)}
    flags = [f for name, url in urls.items() for f in ("--service-url", f"{name}={url}")]
    code, _, complaints = await annual_table(settings, httpx.ASGITransport(app=app), tmp_path, *flags)
    assert code == 0, complaints
    sources = {
        row[0].value: row[2].value
        for row in openpyxl.load_workbook(tmp_path / "annual-table-016314-2025.xlsx")["出典"].iter_rows(
            min_row=2
        )
    }
    assert sources["intake"] == "http://intake.test:801/intake/v1/figures"
    assert sources["coordination"] == "http://coordination.test:802/coordination/v1/figures"
    assert sources["outreach"] == f"{BASE}/openapi.json"


class Routed(httpx.AsyncBaseTransport):
    """The embedded app, but for the requests `elsewhere` answers (or sends to another transport)."""

    def __init__(
        self,
        app: FastAPI,
        elsewhere: Callable[[httpx.Request], httpx.AsyncBaseTransport | httpx.Response | None],
    ):
        self.app = httpx.ASGITransport(app=app)
        self.elsewhere = elsewhere

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        other = self.elsewhere(request)
        if isinstance(other, httpx.Response):
            return other
        return await (other or self.app).handle_async_request(request)


def a_closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def refused(out: Path, code: int, complaints: str, service: str, *words: str) -> None:
    assert code == 1
    assert f"{service} の年度の実績を取得できませんでした" in complaints, complaints
    assert f"Could not get the figures of {service}" in complaints, complaints
    assert "No file was written" in complaints
    for word in words:
        assert word in complaints, complaints
    assert not out.exists() or list(out.iterdir()) == []


async def test_a_service_that_cannot_be_reached_stops_the_command_and_leaves_no_file(
    entered: None, app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    port = a_closed_port()
    real_network = httpx.AsyncHTTPTransport()
    transport = Routed(app, lambda r: real_network if r.url.port == port else None)
    out = tmp_path / "reports"
    code, _, complaints = await annual_table(
        settings, transport, out, "--service-url", f"coordination=http://127.0.0.1:{port}"
    )
    refused(out, code, complaints, "coordination", "接続できません", "could not connect", f"127.0.0.1:{port}")


async def test_a_service_answering_5xx_stops_the_command_and_leaves_no_file(
    entered: None, app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    def unavailable(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/coordination/v1/figures":
            return httpx.Response(
                503, json={"title": "down"}, headers={"content-type": "application/problem+json"}
            )
        return None

    code, _, complaints = await annual_table(settings, Routed(app, unavailable), tmp_path / "out")
    refused(tmp_path / "out", code, complaints, "coordination", "サーバーエラー（503）", "server error (503)")


async def test_a_refused_token_stops_the_command_and_leaves_no_file(
    entered: None, app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    transport = httpx.ASGITransport(app=app)
    code, _, complaints = await annual_table(settings, transport, tmp_path / "a", "--token", "not-a-token")
    refused(tmp_path / "a", code, complaints, "intake", "401")

    window_staff = token(settings, "window_staff", org=RANRAN_OPERATOR)
    code, _, complaints = await annual_table(settings, transport, tmp_path / "b", "--token", window_staff)
    refused(tmp_path / "b", code, complaints, "intake", "403", "municipal_officer")

    nagaizumi = token(settings, "municipal_officer", tenant="223417", org="223417-town")
    code, _, complaints = await annual_table(settings, transport, tmp_path / "c", "--token", nagaizumi)
    refused(tmp_path / "c", code, complaints, "intake", "223417", "another municipality")
