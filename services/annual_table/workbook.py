"""The annual table as an Excel workbook (openpyxl): pure, rows in, bytes out.

Sheet 「実績表」: a title row (municipality code, 令和N年度 (FY YYYY)), the header row, one row per
figure with its value as a number. Sheet 「出典」: each service, the URL asked, when (Japan time) and
whether it answered. Text cells are written as text whatever they start with (openpyxl would take
「=…」 for a formula), and characters a worksheet cannot hold (control characters) are dropped.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from services.annual_table.table import OUTCOME_LABELS, AnnualTable, Outcome, project_of

TABLE_SHEET = "実績表"
SOURCES_SHEET = "出典"
TABLE_HEADERS = ("事業", "サービス", "指標コード", "指標", "値")
SOURCES_HEADERS = ("サービス", "事業", "問い合わせ先", "日時（日本時間）", "結果", "行数")
HEADER_ROW = 3  # of the table sheet: the title, a blank row, then the headers
NUMBER_FORMAT = "#,##0"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH = 80

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def to_workbook(table: AnnualTable) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = TABLE_SHEET
    _put(sheet, 1, 1, table.title).font = Font(bold=True, size=14)
    _header(sheet, HEADER_ROW, TABLE_HEADERS)
    for n, row in enumerate(table.rows, start=HEADER_ROW + 1):
        for column, value in enumerate((row.project, row.service, row.indicator, row.label), start=1):
            _put(sheet, n, column, value)
        _put(sheet, n, 5, row.value).number_format = NUMBER_FORMAT
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    last = HEADER_ROW + max(len(table.rows), 1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:E{last}"
    _fit_columns(sheet, from_row=HEADER_ROW)
    # On paper: one page wide, the header row on every page.
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0

    sources = book.create_sheet(SOURCES_SHEET)
    _header(sources, 1, SOURCES_HEADERS)
    for n, source in enumerate(table.sources, start=2):
        texts = (source.service, project_of(source.service), source.url)
        for column, text in enumerate(texts, start=1):
            _put(sources, n, column, text)
        _put(sources, n, 5, OUTCOME_LABELS[source.outcome])
        # Excel holds no time zone: the time is written as read in Japan, and the header says so.
        asked = source.asked_at_in_japan.replace(tzinfo=None, microsecond=0)
        _put(sources, n, 4, asked).number_format = DATETIME_FORMAT
        if source.outcome is Outcome.answered:
            _put(sources, n, 6, source.rows).number_format = NUMBER_FORMAT
    sources.freeze_panes = sources.cell(2, 1)
    _fit_columns(sources, from_row=1)

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _put(sheet: Any, row: int, column: int, value: object) -> Any:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # text, even 「=…」: never a formula
    else:
        cell.value = value
    return cell


def _header(sheet: Any, row: int, headers: Sequence[str]) -> None:
    for column, text in enumerate(headers, start=1):
        cell = _put(sheet, row, column, text)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")


def _fit_columns(sheet: Any, *, from_row: int) -> None:
    """Each column as wide as its widest cell from `from_row` on, a full-width character counting two."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=from_row):
        for cell in row:
            widths[cell.column] = max(widths.get(cell.column, 0), _display_width(_shown(cell.value)))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), MAX_WIDTH)


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
