"""The annual table (年度の実績表) of one municipality and its CSV in cp932: pure, no I/O.

A row is a service's figure as its endpoint gave it (indicator code, Japanese label, value), with
the project (事業) it belongs to; the sources say which service was asked where, when, and whether it
answered. The CSV repeats the municipality and the year on every row (令和N年度 and the western
year), so that tables of several years or municipalities can be put one under the other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.figures import JST, Figures, FiscalYear
from shared.spreadsheets import defuse

# The projects of the multi-layered support system (Social Welfare Act Art. 106-4 para 2) each
# service carries out; a service not named here is shown under its own name.
PROJECTS: dict[str, str] = {
    "intake": "包括的相談支援事業",
    "coordination": "多機関協働事業",
    "participation": "参加支援事業",
    "outreach": "アウトリーチ等を通じた継続的支援事業",
    "directory": "地域づくり事業",
}

CSV_HEADERS = ("市町村コード", "年度", "西暦年度", "事業", "サービス", "指標コード", "指標", "値")

# Characters that JIS text often holds but cp932 spells with another code point (〜 is ～ there, …):
# written as cp932's own, so that a label reads the same in Excel.
CP932_SPELLINGS = str.maketrans({"〜": "～", "−": "－", "‖": "∥", "—": "―", "¢": "￠", "£": "￡", "¬": "￢"})
NOT_IN_CP932 = "〓"  # 下駄記号, the printer's mark for a character the set lacks


def project_of(service: str) -> str:
    return PROJECTS.get(service, service)


class Outcome(StrEnum):
    answered = "answered"
    no_figures = "no_figures"  # the service is there and publishes no figures
    not_served = "not_served"  # nothing of the service at the URL asked


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.answered: "回答あり (answered)",
    Outcome.no_figures: "提供なし：年度の実績を公開していません (not provided: no figures endpoint)",
    Outcome.not_served: (
        "提供なし：このURLにサービスがありません (not provided: service not found at this URL)"
    ),
}


@dataclass(frozen=True)
class Source:
    """One service asked: where (the figures URL, or the OpenAPI document that lacks it) and when."""

    service: str
    url: str
    asked_at: datetime
    outcome: Outcome
    rows: int = 0

    @property
    def asked_at_in_japan(self) -> datetime:
        return self.asked_at.astimezone(JST)


@dataclass(frozen=True)
class TableRow:
    service: str
    indicator: str
    label: str
    value: int

    @property
    def project(self) -> str:
        return project_of(self.service)


@dataclass(frozen=True)
class AnnualTable:
    tenant_id: str
    year: FiscalYear
    rows: tuple[TableRow, ...]
    sources: tuple[Source, ...]

    @property
    def title(self) -> str:
        return f"市町村コード {self.tenant_id}　{self.year.label}（FY{self.year.year}）　年度の実績表"

    @property
    def file_stem(self) -> str:
        return f"annual-table-{self.tenant_id}-{self.year.year}"


def assemble(
    tenant_id: str, year: FiscalYear, answers: Iterable[Figures], sources: Sequence[Source]
) -> AnnualTable:
    """The table of the services' answers, in the order given, each row as its service wrote it."""
    rows = tuple(
        TableRow(service=figures.service, indicator=row.indicator, label=row.label, value=row.value)
        for figures in answers
        for row in figures.rows
    )
    return AnnualTable(tenant_id=tenant_id, year=year, rows=rows, sources=tuple(sources))


def for_cp932(text: str) -> str:
    """`text` in characters cp932 has: its own spelling of JIS look-alikes, 〓 for the rest."""
    text = text.translate(CP932_SPELLINGS)
    return "".join(c if _in_cp932(c) else NOT_IN_CP932 for c in text)


def outside_cp932(table: AnnualTable) -> set[str]:
    """The characters of the table's text that the CSV has to write as 〓."""
    return {
        c
        for row in table.rows
        for text in (row.label, row.indicator, row.project, row.service)
        for c in text.translate(CP932_SPELLINGS)
        if not _in_cp932(c)
    }


def _in_cp932(character: str) -> bool:
    try:
        character.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: str) -> str:
    return defuse(for_cp932(value))


def to_csv(table: AnnualTable) -> bytes:
    """The table as CSV in cp932 (Shift_JIS as Windows reads it), CRLF, Japanese headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for row in table.rows:
        writer.writerow(
            [
                table.tenant_id,
                table.year.label,
                table.year.year,
                _text(row.project),
                _text(row.service),
                _text(row.indicator),
                _text(row.label),
                row.value,
            ]
        )
    return buffer.getvalue().encode("cp932")
