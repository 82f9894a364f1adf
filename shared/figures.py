"""The fiscal-year figures every service reports, one convention for all:

    GET /<service>/v1/figures?fiscal_year=2026[&format=csv&encoding=cp932]

answers rows of (indicator code, Japanese label, value) for the caller's municipality, counted by
the date a thing happened (a meeting's date, a plan's date, when a consultation was received, in
Japan), not the date it was typed in: a municipality can enter its earlier records. 年度 runs April
to March and is labelled in the Reiwa era as the documents write it (令和6年度 = FY2024). CSV comes in
UTF-8 with a BOM (the default) or cp932, with Japanese headers, as a municipal officer opens it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from shared.spreadsheets import defuse

JST = timezone(timedelta(hours=9))
REIWA_FIRST_YEAR = 2019  # 令和元年 (from May 2019); FY2019 is 令和元年度

FiscalYearParam = Annotated[
    int, Query(ge=2000, le=2100, description="年度, e.g. 2026 for 令和8年度 (April–March)")
]
FormatParam = Annotated[Literal["json", "csv"], Query(description="json, or csv for Excel")]
EncodingParam = Annotated[
    Literal["utf-8-sig", "cp932"], Query(description="CSV: utf-8-sig (UTF-8 with BOM) or cp932 (Shift_JIS)")
]


@dataclass(frozen=True)
class FiscalYear:
    year: int

    @property
    def first_day(self) -> date:
        return date(self.year, 4, 1)

    @property
    def last_day(self) -> date:
        return date(self.year + 1, 3, 31)

    @property
    def starts_at(self) -> datetime:
        """The first moment of the year in Japan, for columns that hold an instant."""
        return datetime.combine(self.first_day, time.min, JST)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(date(self.year + 1, 4, 1), time.min, JST)

    @property
    def label(self) -> str:
        era = self.year - REIWA_FIRST_YEAR + 1
        if era < 1:
            return f"{self.year}年度"
        return f"令和{'元' if era == 1 else era}年度"


class FigureRow(BaseModel):
    indicator: str = Field(description="A stable code, e.g. plan_meetings_held.re_plan")
    label: str = Field(description="Its Japanese label, as the annual report writes it")
    value: int


class Figures(BaseModel):
    service: str
    tenant_id: str
    fiscal_year: int
    fiscal_year_label: str = Field(examples=["令和8年度"])
    rows: list[FigureRow]


HEADERS = ("指標コード", "指標", "値")


def to_csv(figures: Figures, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["年度", figures.fiscal_year_label, ""])
    writer.writerow(HEADERS)
    for row in figures.rows:
        writer.writerow([row.indicator, defuse(row.label), row.value])
    # Every label is written in characters cp932 has: a refusal here would be a bug of ours.
    return buffer.getvalue().encode(encoding)


def answer(figures: Figures, fmt: str, encoding: str) -> Figures | Response:
    if fmt == "json":
        return figures
    media = "text/csv; charset=Shift_JIS" if encoding == "cp932" else "text/csv; charset=utf-8"
    name = f"figures-{figures.service}-{figures.tenant_id}-{figures.fiscal_year}.csv"
    return Response(
        to_csv(figures, encoding),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
