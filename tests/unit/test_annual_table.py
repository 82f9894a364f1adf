"""The annual table (年度の実績表) as CSV in cp932 and as an Excel workbook, from rows made here."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import httpx
import openpyxl
import pytest

from services.annual_table.collect import collect
from services.annual_table.files import write_whole
from services.annual_table.table import AnnualTable, Outcome, Source, assemble, outside_cp932, to_csv
from services.annual_table.workbook import to_workbook
from services.cli import build_parser
from shared.figures import FigureRow, Figures, FiscalYear

ASKED = datetime(2026, 4, 30, 1, 2, 3, tzinfo=UTC)  # 10:02:03 on 30 April in Japan


def figures(service: str, *rows: tuple[str, str, int]) -> Figures:
    return Figures(
        service=service,
        tenant_id="016314",
        fiscal_year=2025,
        fiscal_year_label="令和7年度",
        rows=[FigureRow(indicator=i, label=label, value=v) for i, label, v in rows],
    )


def make_table() -> AnnualTable:
    return assemble(
        "016314",
        FiscalYear(2025),
        [
            figures(
                "intake", ("consultations_received", "相談受付件数", 1234), ("w", "=HYPERLINK(1) 月〜金", 2)
            ),
            figures("coordination", ("plan_meetings_held", "重層的支援会議の開催回数", 5)),
        ],
        [
            Source("intake", "http://h/intake/v1/figures", ASKED, Outcome.answered, rows=2),
            Source("coordination", "http://h/coordination/v1/figures", ASKED, Outcome.answered, rows=1),
            Source("outreach", "http://h/openapi.json", ASKED, Outcome.no_figures),
            Source("directory", "http://d/openapi.json", ASKED, Outcome.not_served),
        ],
    )


def test_the_csv_is_cp932_with_japanese_headers_and_the_year_both_ways() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(make_table()).decode("cp932"))))
    assert rows == [
        ["市町村コード", "年度", "西暦年度", "事業", "サービス", "指標コード", "指標", "値"],
        [
            "016314",
            "令和7年度",
            "2025",
            "包括的相談支援事業",
            "intake",
            "consultations_received",
            "相談受付件数",
            "1234",
        ],
        # a formula-like label is defused; 〜 (WAVE DASH) is written as cp932's ～
        ["016314", "令和7年度", "2025", "包括的相談支援事業", "intake", "w", "'=HYPERLINK(1) 月～金", "2"],
        [
            "016314",
            "令和7年度",
            "2025",
            "多機関協働事業",
            "coordination",
            "plan_meetings_held",
            "重層的支援会議の開催回数",
            "5",
        ],
    ]


def test_a_character_cp932_lacks_becomes_geta_in_the_csv_and_is_reported() -> None:
    table = assemble("016314", FiscalYear(2025), [figures("intake", ("w", "うち 𠮷田窓口", 1))], [])
    assert to_csv(table).decode("cp932").splitlines()[1].endswith(",うち 〓田窓口,1")
    assert outside_cp932(table) == {"𠮷"}


def test_the_workbook_holds_the_table_with_numbers_as_numbers_and_its_sources() -> None:
    book = openpyxl.load_workbook(io.BytesIO(to_workbook(make_table())))
    assert book.sheetnames == ["実績表", "出典"]
    sheet = book["実績表"]
    assert sheet["A1"].value == "市町村コード 016314　令和7年度（FY2025）　年度の実績表"
    assert [c.value for c in sheet[3]] == ["事業", "サービス", "指標コード", "指標", "値"]
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert body == [
        ["包括的相談支援事業", "intake", "consultations_received", "相談受付件数", 1234],
        ["包括的相談支援事業", "intake", "w", "=HYPERLINK(1) 月〜金", 2],
        ["多機関協働事業", "coordination", "plan_meetings_held", "重層的支援会議の開催回数", 5],
    ]
    assert sheet["D5"].data_type == "s"  # text, not a formula
    assert sheet["E4"].data_type == "n" and sheet["E4"].number_format == "#,##0"
    assert sheet.column_dimensions["D"].width >= len("重層的支援会議の開催回数") * 2
    assert sheet.freeze_panes == "A4"

    sources = book["出典"]
    assert [c.value for c in sources[1]] == [
        "サービス",
        "事業",
        "問い合わせ先",
        "日時（日本時間）",
        "結果",
        "行数",
    ]
    listed = [[c.value for c in row] for row in sources.iter_rows(min_row=2)]
    in_japan = datetime(2026, 4, 30, 10, 2, 3)
    assert listed == [
        ["intake", "包括的相談支援事業", "http://h/intake/v1/figures", in_japan, "回答あり (answered)", 2],
        [
            "coordination",
            "多機関協働事業",
            "http://h/coordination/v1/figures",
            in_japan,
            "回答あり (answered)",
            1,
        ],
        [
            "outreach",
            "アウトリーチ等を通じた継続的支援事業",
            "http://h/openapi.json",
            in_japan,
            "提供なし：年度の実績を公開していません (not provided: no figures endpoint)",
            None,
        ],
        [
            "directory",
            "地域づくり事業",
            "http://d/openapi.json",
            in_japan,
            "提供なし：このURLにサービスがありません (not provided: service not found at this URL)",
            None,
        ],
    ]


def test_files_are_written_whole_or_not_at_all(tmp_path: Path) -> None:
    written = write_whole(tmp_path / "out", {"a.csv": b"1", "a.xlsx": b"2"})
    assert [p.name for p in written] == ["a.csv", "a.xlsx"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.csv", "a.xlsx"]

    blocked = tmp_path / "blocked"
    (blocked / "b.xlsx").mkdir(parents=True)  # a folder where the second file should go
    with pytest.raises(OSError):
        write_whole(blocked, {"b.csv": b"1", "b.xlsx": b"2"})
    assert [p.name for p in blocked.iterdir()] == ["b.xlsx"]  # no b.csv, no temporary file

    (blocked / "b.csv").write_bytes(b"last year's")  # a table written before stays as it was
    with pytest.raises(OSError):
        write_whole(blocked, {"b.csv": b"1", "b.xlsx": b"2"})
    assert sorted(p.name for p in blocked.iterdir()) == ["b.csv", "b.xlsx"]
    assert (blocked / "b.csv").read_bytes() == b"last year's"
    assert (
        write_whole(tmp_path / "out", {"a.csv": b"3"}) and (tmp_path / "out" / "a.csv").read_bytes() == b"3"
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.csv", "a.xlsx"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--tenant", "016313", "--fiscal-year", "2025", "--out", "x"],  # wrong check digit
        ["--tenant", "016314", "--fiscal-year", "1999", "--out", "x"],
        ["--tenant", "016314", "--fiscal-year", "2025", "--out", "x", "--service-url", "intak=http://h"],
        ["--tenant", "016314", "--fiscal-year", "2025", "--out", "x", "--service-url", "intake=h:8001"],
    ],
)
def test_the_command_refuses_bad_flags(flags: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["annual-table", *flags])
    assert stopped.value.code == 2


def test_the_command_takes_one_url_per_service_over_the_base_url() -> None:
    args = build_parser().parse_args(
        [
            *("annual-table", "--tenant", "016314", "--fiscal-year", "2025", "--out", "x"),
            *("--service-url", "intake=http://127.0.0.1:8001"),
        ]
    )
    assert (args.base_url, args.service_url) == (
        "http://127.0.0.1:8000",
        [("intake", "http://127.0.0.1:8001")],
    )


async def test_which_services_report_figures_is_read_from_their_openapi_documents() -> None:
    """intake at one URL, coordination and a service added later at another; outreach reports none."""
    documents = {
        "a.test": {"/intake/v1/figures": {"get": {}}, "/intake/healthz": {"get": {}}},
        "b.test": {
            "/coordination/v1/figures": {"get": {}},
            "/outreach/v1/audit": {"get": {}},
            "/welfare_bus/v1/figures": {"get": {}},
        },
    }
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.path == "/openapi.json":
            return httpx.Response(200, json={"paths": documents[request.url.host]})
        assert request.headers["authorization"] == "Bearer t"
        service = request.url.path.split("/")[1]
        return httpx.Response(200, json=figures(service, (f"{service}_count", "件数", 1)).model_dump())

    locations = {"intake": "http://a.test", "coordination": "http://b.test/", "outreach": "http://b.test"}
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        table = await collect(
            client,
            locations=locations,
            tenant_id="016314",
            year=FiscalYear(2025),
            token="t",
            clock=lambda: ASKED,
        )
    assert [(s.service, s.outcome, s.url) for s in table.sources] == [
        ("intake", Outcome.answered, "http://a.test/intake/v1/figures"),
        ("coordination", Outcome.answered, "http://b.test/coordination/v1/figures"),
        ("outreach", Outcome.no_figures, "http://b.test/openapi.json"),
        ("welfare_bus", Outcome.answered, "http://b.test/welfare_bus/v1/figures"),
    ]
    assert [(r.service, r.indicator, r.project) for r in table.rows] == [
        ("intake", "intake_count", "包括的相談支援事業"),
        ("coordination", "coordination_count", "多機関協働事業"),
        ("welfare_bus", "welfare_bus_count", "welfare_bus"),
    ]
    assert sum(url.endswith("/openapi.json") for url in asked) == 2  # once per URL
    assert "fiscal_year=2025" in asked[-1]
