"""社会資源一覧の CSV's format without HTTP: what parse_csv makes of files as Excel saves them.

(Moved from tests/api/test_directory_csv.py, whose HTTP tests share one system per module.)
"""

from __future__ import annotations

import csv
import io

from services.directory.resources import csv_exchange
from services.directory.resources.csv_exchange import HEADERS, parse_csv

COLUMNS = list(HEADERS.values())


def csv_file(rows: list[dict[str, str]], encoding: str = "utf-8-sig", columns: list[str] = COLUMNS) -> bytes:
    """A file as Excel saves it: header row, CRLF, every column present."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return buffer.getvalue().encode(encoding)


def new_row(name: str, kana: str, **cells: str) -> dict[str, str]:
    return {"名称": name, "フリガナ": kana, "種別": "地域づくり", "分野": "生活困窮", **cells}


def test_the_row_limit_is_reported_on_the_first_row_over_it(monkeypatch) -> None:
    monkeypatch.setattr(csv_exchange, "MAX_ROWS", 3)
    rows = [new_row(f"行{i}", "ギョウ") for i in range(5)]

    parsed = parse_csv(csv_file(rows), None)

    assert [(p.line, p.code) for p in parsed.problems] == [(5, "too_many_rows")]
    assert parsed.read == 4


def test_a_cell_with_line_breaks_stays_one_excel_row() -> None:
    rows = [
        new_row("改行のある行", "カイギョウ", 内容="一行目\n二行目"),
        new_row("次の行", "ツギ", 分野="医療"),
    ]

    parsed = parse_csv(csv_file(rows), None)

    assert parsed.rows[0][2].description == "一行目\n二行目"
    assert [(p.line, p.field) for p in parsed.problems] == [(3, "分野")]


def test_excel_habits_are_understood_or_explained() -> None:
    rows = [
        new_row("全角", "ｾﾞﾝｶｸ", 法定事業="３ロ", 郵便番号="０８０－０１０１", 電話="ＦＡＸ：６７－７６４０"),
        new_row("ゼロ落ち", "ゼロオチ", 郵便番号="800101", 電話="155422111"),
        new_row("空白", "クウハク", 種別=" 相談窓口 "),
        {},  # a blank row Excel leaves behind
    ]

    parsed = parse_csv(csv_file(rows, "cp932"), None)

    first = parsed.rows[0][2]
    assert (first.name_kana, first.legal_item, first.postal_code) == ("ゼンカク", "3ロ", "080-0101")
    assert first.phones[0].model_dump() == {"number": "67-7640", "extension": None, "type": "fax"}
    assert parsed.rows[1][2].kind == "window"
    assert [(p.line, p.field, p.code) for p in parsed.problems] == [
        (3, "郵便番号", "leading_zero_lost"),
        (3, "電話", "unreadable"),
    ]


def test_every_code_has_a_label() -> None:
    from typing import get_args

    from services.directory.reference.format import ServiceKind, WelfareField

    assert set(csv_exchange.KIND.labels) == set(get_args(ServiceKind))
    assert set(csv_exchange.FIELD.labels) == set(get_args(WelfareField))
