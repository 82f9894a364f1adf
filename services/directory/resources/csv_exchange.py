"""社会資源一覧の CSV: the directory as the municipal staff keep it in Excel. Plain functions.

Excel opens "CSV UTF-8" (with a BOM) and plain "CSV" (Shift_JIS, i.e. cp932); both are read and
written. Headers are Japanese; 種別・分野・実施方式 are written as Japanese labels and read as the
label or the code. A file is read whole: every bad row is reported with its Excel row number (the
header is row 1; a cell with line breaks stays one row, as in Excel), and nothing is imported while
any problem remains (`plan_import`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from services.directory.districts.rules import NO_GAZETTEER, Gazetteer, area_problems
from services.directory.resources.models import Resource
from services.directory.resources.schedule_notation import (
    ScheduleNotationError,
    as_stored,
    format_schedules,
    parse_schedules,
)
from services.directory.resources.schemas import AcceptsIn, ResourceIn, ResourceOut, ScheduleIn
from services.directory.resources.service import differs
from shared.errors import FieldProblem, InvalidInput, Text, validation_message
from shared.spreadsheets import defuse, undefuse

Encoding = Literal["utf-8-sig", "cp932"]
MAX_ROWS = 20_000
MAX_ID_LENGTH = 120

# Column order of the file; the keys are ResourceIn/ResourceOut attributes.
HEADERS: dict[str, str] = {
    "id": "ID",
    "name": "名称",
    "name_kana": "フリガナ",
    "kind": "種別",
    "field": "分野",
    "legal_item": "法定事業",
    "organisation_id": "実施機関ID",
    "operation": "実施方式",
    "responsible_section": "所管課",
    "program": "事業名",
    "description": "内容",
    "postal_code": "郵便番号",
    "address": "住所",
    "phones": "電話",
    "areas": "対象圏域",
    "schedule": "日程",
    # 開所日時 in the notation of schedule_notation.py (「月〜金 8:30-17:15／第2土 9:00-12:00」).
    "schedules": "開所日時",
    "status": "状態",
    # The version the row was exported at: an import refuses a row someone changed since.
    "version": "版",
}
# Files typed by hand may leave 版 out; files written before 開所日時 existed lack it (kept as stored).
OPTIONAL = frozenset({"version", "schedules"})
_TEXT_KEYS = (
    "name",
    "name_kana",
    "legal_item",
    "organisation_id",
    "responsible_section",
    "program",
    "description",
    "postal_code",
    "address",
    "schedule",
)
_NFKC_KEYS = frozenset({"legal_item", "organisation_id"})  # codes: full-width digits are folded
FILE = "ファイル"  # the `field` of a problem with the file as a whole
ROW = "行"  # the `field` of a problem with a row's shape


def _fold(value: str) -> str:
    return re.sub(r"[\s\u3000]+", "", unicodedata.normalize("NFKC", value)).casefold()


@dataclass(frozen=True)
class Choices:
    """A column of fixed values: written as the Japanese label, read as the label, the code or an alias."""

    labels: Mapping[str, str]  # code -> label
    aliases: Mapping[str, str] = field(default_factory=dict)  # another spelling -> code

    def label(self, code: str | None) -> str:
        return self.labels.get(code, code) if code else ""

    def code(self, value: str) -> str | None:
        wanted = _fold(value)
        for code, label in self.labels.items():
            if wanted in (_fold(code), _fold(label)):
                return code
        return {_fold(k): v for k, v in self.aliases.items()}.get(wanted)

    def listing(self) -> str:
        return "、".join(f"{label}（{code}）" for code, label in self.labels.items())


KIND = Choices(
    {
        "window": "相談窓口",
        "community_program": "地域づくり",
        "participation_host": "参加支援の受入先",
        "outreach": "アウトリーチ",
        "collaboration": "多機関協働",
        "other": "その他",
    },
    {"窓口": "window", "地域づくりの事業・拠点": "community_program", "受入先": "participation_host"},
)
FIELD = Choices(
    {
        "elderly_care": "介護",
        "disability": "障がい",
        "children": "子ども",
        "hardship": "生活困窮",
        "other": "その他",
    },
    {"高齢者": "elderly_care", "障害": "disability", "子育て": "children", "子ども・子育て": "children"},
)
OPERATION = Choices({"direct": "直営", "commissioned": "委託"})
AREA_KIND = Choices(
    {"municipality": "全域", "junior_high_district": "中学校区", "district": "地区", "other": "その他"}
)
STATUS = Choices({"active": "公開中", "retired": "廃止"})


# --- writing -------------------------------------------------------------------------------------


class CsvNotEncodable(InvalidInput):
    slug = "csv-not-encodable"
    title = Text(
        "Shift_JIS（cp932）で表せない文字があります。UTF-8 で書き出してください。",
        "Some characters have no Shift_JIS (cp932) form; export as UTF-8 instead.",
    )


# Characters with a cp932 twin that reads the same (cp932 has no em dash, no no-break space).
_CP932_TWINS = str.maketrans({"\u2014": "\u2015", "\u00a0": " "})


def format_phones(phones: Sequence[Mapping[str, Any]]) -> str:
    """'67-7090; 42-2111(内線512); FAX:67-7640'"""
    parts = []
    for phone in phones:
        text = str(phone["number"])
        if phone.get("extension"):
            text += f"(内線{phone['extension']})"
        if phone.get("type") == "fax":
            text = f"FAX:{text}"
        parts.append(text)
    return "; ".join(parts)


def format_areas(areas: Sequence[Mapping[str, Any]]) -> str:
    """'junior_high_district:音更中学校区; municipality:町内一円'"""
    return "; ".join(f"{a['kind']}:{a['name']}" for a in areas)


def _cells(resource: ResourceOut) -> list[str]:
    values: dict[str, str | None] = {key: getattr(resource, key, None) for key in ("id", *_TEXT_KEYS)}
    values.update(
        kind=KIND.label(resource.kind),
        field=FIELD.label(resource.field),
        operation=OPERATION.label(resource.operation),
        phones=format_phones(resource.phones),
        areas=format_areas(resource.areas),
        schedules=format_schedules(ScheduleIn.model_validate(s) for s in resource.schedules),
        status=STATUS.label(resource.status),
        version=str(resource.version),
    )
    return [defuse(values[key] or "") for key in HEADERS]


def _cp932_problems(resource: ResourceOut, cells: list[str]) -> list[FieldProblem]:
    problems = []
    for header, cell in zip(HEADERS.values(), cells, strict=True):
        missing = sorted({ch for ch in cell if not _encodes(ch, "cp932")})
        if missing:
            shown = "".join(missing)
            codes = ", ".join(f"U+{ord(ch):04X}" for ch in missing)
            problems.append(
                FieldProblem(
                    f"{resource.id}: {header}",
                    Text(
                        f"「{resource.name}」の{header}に Shift_JIS で表せない文字"
                        f"「{shown}」（{codes}）があります。",
                        f"{header} of '{resource.name}' has characters with no Shift_JIS form: {codes}.",
                    ),
                    "not_encodable",
                )
            )
    return problems


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def export_csv(resources: Sequence[ResourceOut], encoding: Encoding) -> bytes:
    """The resources as CSV (CRLF); cp932 refuses, naming resource and column, what it cannot hold."""
    table = [list(HEADERS.values())]
    problems: list[FieldProblem] = []
    for resource in resources:
        cells = _cells(resource)
        if encoding == "cp932":
            cells = [cell.translate(_CP932_TWINS) for cell in cells]
            problems.extend(_cp932_problems(resource, cells))
        table.append(cells)
    if problems:
        raise CsvNotEncodable(
            Text(
                f"{len(problems)} 箇所に Shift_JIS で表せない文字があります。"
                "UTF-8 を選ぶか、文字を直してください。",
                f"{len(problems)} cells have characters with no Shift_JIS form. Choose UTF-8 or fix them.",
            ),
            fields=problems,
        )
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    return buffer.getvalue().encode(encoding, errors="strict")


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int  # Excel row number; the header is 1
    field: str  # the Japanese column name, or FILE / ROW
    reason_ja: str
    reason_en: str
    code: str = "invalid"


@dataclass
class ParsedCsv:
    # (row number, ID or None for a new entry, the validated input) of every row without problems
    rows: list[tuple[int, str | None, ResourceIn]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)  # 版 per ID, when the row gave one
    read: int = 0  # data rows in the file (blank rows skipped)
    encoding: Encoding | None = None
    columns: frozenset[str] = frozenset()  # the keys of the columns the file has

    def problem(self, line: int, column: str, ja: str, en: str, code: str = "invalid") -> None:
        self.problems.append(RowProblem(line, column, ja, en, code))


def _decode(data: bytes, encoding: Encoding | None, parsed: ParsedCsv) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        parsed.problem(
            1,
            FILE,
            "UTF-16（Unicode テキスト）は読めません。Excel で「CSV UTF-8」か「CSV」で保存してください。",
            "UTF-16 (Unicode text) is not read; save as 'CSV UTF-8' or 'CSV' in Excel.",
            "encoding",
        )
        return None
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"  # a BOM settles it
    error: UnicodeDecodeError | None = None
    candidates: list[Encoding] = [encoding] if encoding else ["utf-8-sig", "cp932"]
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError as exc:
            error = exc
            continue
        parsed.encoding = candidate
        return text
    assert error is not None
    line = data[: error.start].count(b"\n") + 1
    name = "UTF-8" if encoding == "utf-8-sig" else "Shift_JIS" if encoding else "UTF-8・Shift_JIS のどちら"
    parsed.problem(
        line,
        FILE,
        f"{line} 行目付近が {name} として読めません。文字コードを確認してください。",
        f"Around line {line} the file is not {encoding or 'UTF-8 or Shift_JIS'}; check the encoding.",
        "encoding",
    )
    return None


def _records(text: str, parsed: ParsedCsv) -> Iterator[tuple[int, list[str]]]:
    line = 0
    try:
        for line, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            yield line, cells
    except csv.Error as exc:
        parsed.problem(
            line + 1, FILE, f"CSV として読めません: {exc}", f"Not readable as CSV: {exc}", "malformed"
        )


def _header_name(cell: str) -> str:
    return _fold(cell.removeprefix("\ufeff"))


_BY_HEADER = {_header_name(header): key for key, header in HEADERS.items()}


def _read_header(cells: list[str], parsed: ParsedCsv) -> dict[str, int] | None:
    """Column positions by key; None (with the problems noted) when the header is not usable."""
    if not any(_header_name(c) in _BY_HEADER for c in cells):
        parsed.problem(
            1,
            FILE,
            f"1 行目が見出しではありません。見出しは {','.join(HEADERS.values())} です"
            "（文字コードも確認してください）。",
            f"Row 1 is not the header ({','.join(HEADERS.values())}); check the encoding too.",
            "no_header",
        )
        return None
    positions: dict[str, int] = {}
    before = len(parsed.problems)
    for index, cell in enumerate(cells):
        key = _BY_HEADER.get(_header_name(cell))
        if not cell.strip():
            continue  # an unlabelled column: ignored, but values under it are refused
        if key is None:
            parsed.problem(1, cell, "知らない見出しです。", "Unknown column.", "unknown_column")
        elif key in positions:
            parsed.problem(
                1, cell, "見出しが重複しています。", "The column appears twice.", "duplicate_column"
            )
        else:
            positions[key] = index
    for key, header in HEADERS.items():
        if key not in positions and key not in OPTIONAL:
            parsed.problem(1, header, "この列がありません。", "This column is missing.", "missing_column")
    return positions if len(parsed.problems) == before else None


def parse_csv(data: bytes, encoding: Encoding | None = None) -> ParsedCsv:
    """Every row validated as ResourceIn; every problem of every row, with its row number and column.

    `encoding` None: UTF-8 (with or without BOM), else cp932.
    """
    parsed = ParsedCsv()
    text = _decode(data, encoding, parsed)
    if text is None:
        return parsed
    if "\x00" in text:
        parsed.problem(
            1, FILE, "CSV ではありません（NUL 文字）。", "Not a CSV file (NUL characters).", "malformed"
        )
        return parsed
    records = _records(text, parsed)
    header = next(records, None)
    if header is None or not any(c.strip() for c in header[1]):
        if not parsed.problems:
            parsed.problem(1, FILE, "空のファイルです。", "The file is empty.", "empty")
        return parsed
    positions = _read_header(header[1], parsed)
    if positions is None:
        return parsed
    parsed.columns = frozenset(positions)
    first_line_of: dict[str, int] = {}
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        parsed.read += 1
        if parsed.read > MAX_ROWS:
            parsed.problem(
                line,
                FILE,
                f"取り込めるのは {MAX_ROWS:,} 行までです。ファイルを分けてください。",
                f"At most {MAX_ROWS:,} rows per file; split the file.",
                "too_many_rows",
            )
            break
        _read_row(line, cells, len(header[1]), positions, parsed, first_line_of)
    if parsed.read == 0 and not parsed.problems:
        parsed.problem(2, FILE, "データの行がありません。", "The file has no data rows.", "empty")
    parsed.problems.sort(key=in_file_order)
    return parsed


_COLUMN_ORDER = {header: position for position, header in enumerate(HEADERS.values())}


def in_file_order(problem: RowProblem) -> tuple[int, int]:
    """By row, then by column as they stand in the file."""
    return problem.line, _COLUMN_ORDER.get(problem.field, -1)


def _shape_problem(cells: list[str], width: int, positions: dict[str, int]) -> Text | None:
    if len(cells) < width:
        return Text(
            f"列の数が {len(cells)} です（見出しは {width} 列）。",
            f"The row has {len(cells)} columns; the header has {width}.",
        )
    used = set(positions.values())
    stray = [i + 1 for i, cell in enumerate(cells) if i not in used and cell.strip()]
    if stray:
        return Text(
            f"見出しのない {', '.join(map(str, stray))} 列目に値があります。",
            f"Values in columns without a header: {', '.join(map(str, stray))}.",
        )
    return None


def _read_row(
    line: int,
    cells: list[str],
    width: int,
    positions: dict[str, int],
    parsed: ParsedCsv,
    first_line_of: dict[str, int],
) -> None:
    shape = _shape_problem(cells, width, positions)
    if shape is not None:
        parsed.problem(line, ROW, shape.ja, shape.en, "column_count")
        return
    values = {key: undefuse(cells[index]) for key, index in positions.items()}
    before = len(parsed.problems)
    resource_id = _read_id(line, values["id"], parsed, first_line_of)
    version = _read_version(line, values.get("version", ""), parsed)
    payload = _payload(line, values, parsed)
    try:
        data = ResourceIn.model_validate(payload)
    except ValidationError as exc:
        # A column already reported (an unknown 種別, an unreadable phone) is not reported twice.
        reported = {p.field for p in parsed.problems[before:]}
        for error in exc.errors():
            column, message = _explain(error)
            if column not in reported:
                parsed.problem(line, column, message.ja, message.en, str(error.get("type", "invalid")))
        return
    if len(parsed.problems) == before:
        parsed.rows.append((line, resource_id, data))
        if resource_id is not None and version is not None:
            parsed.versions[resource_id] = version


def _read_id(line: int, value: str, parsed: ParsedCsv, first_line_of: dict[str, int]) -> str | None:
    if not value:
        return None
    header = HEADERS["id"]
    if len(value) > MAX_ID_LENGTH or any(ch.isspace() for ch in value):
        parsed.problem(line, header, "ID の形式が正しくありません。", "Not a valid id.", "invalid_id")
    elif value in first_line_of:
        first = first_line_of[value]
        parsed.problem(
            line,
            header,
            f"ID が {first} 行目と重複しています。",
            f"The same ID as row {first}.",
            "duplicate_id",
        )
    else:
        first_line_of[value] = line
    return value


def _read_version(line: int, value: str, parsed: ParsedCsv) -> int | None:
    if not value:
        return None
    folded = unicodedata.normalize("NFKC", value)
    if folded.isdigit() and int(folded) >= 1:
        return int(folded)
    parsed.problem(
        line,
        HEADERS["version"],
        "版は 1 以上の整数です。",
        "The version is a whole number from 1.",
        "invalid",
    )
    return None


def _payload(line: int, values: dict[str, str], parsed: ParsedCsv) -> dict[str, Any]:
    """The ResourceIn fields of a row; what cannot even be read is noted and left out."""
    payload: dict[str, Any] = {}
    for key in _TEXT_KEYS:
        value = values[key]
        if value:
            payload[key] = unicodedata.normalize("NFKC", value) if key in _NFKC_KEYS else value
    for key, choices in (("kind", KIND), ("field", FIELD), ("operation", OPERATION)):
        value = values[key]
        if not value:
            continue
        code = choices.code(value)
        if code is None:
            parsed.problem(
                line,
                HEADERS[key],
                f"「{value}」は選べません。次のどれかです: {choices.listing()}",
                f"'{value}' is not one of: {', '.join(choices.labels)}.",
                "unknown_choice",
            )
        else:
            payload[key] = code
    payload["phones"] = _collect(line, HEADERS["phones"], values["phones"], _read_phone, parsed)
    payload["areas"] = _collect(line, HEADERS["areas"], values["areas"], _read_area, parsed)
    if "schedules" in values:
        _read_schedules(line, values["schedules"], payload, parsed)
    _check_status(line, values["status"], parsed)
    if _lost_zero(line, values, parsed):
        del payload["postal_code"]
    return payload


_PHONE_PART = re.compile(
    r"^(?:(?P<type>fax|tel|電話)\s*:\s*)?(?P<number>[^()]+?)\s*(?:\(?\s*内線\s*(?P<extension>[^)]*?)\s*\)?)?$",
    re.IGNORECASE,
)


def _read_phone(part: str) -> dict[str, Any] | Text:
    match = _PHONE_PART.match(unicodedata.normalize("NFKC", part))
    if match is None:
        return Text(
            f"「{part}」は電話番号として読めません（例: 42-2111(内線512)、FAX:67-7640）。",
            f"'{part}' is not a phone (e.g. 42-2111(内線512), FAX:67-7640).",
        )
    number = match["number"].strip()
    if number.isdigit() and not number.startswith("0") and len(number) in (9, 10):
        return Text(
            f"「{part}」は電話番号として読めません。Excel で先頭の 0 が消えていませんか"
            "（ハイフン付きで入力してください）。",
            f"'{part}' is not a phone; did Excel drop a leading 0? Write it with hyphens.",
        )
    phone: dict[str, Any] = {
        "number": number,
        "type": "fax" if (match["type"] or "").lower() == "fax" else "voice",
    }
    if match["extension"] is not None:
        phone["extension"] = match["extension"]
    return phone


def _read_area(part: str) -> dict[str, Any] | Text:
    pieces = re.split(r"[:：]", part, maxsplit=1)
    code = AREA_KIND.code(pieces[0]) if len(pieces) == 2 else None
    if code is None:
        return Text(
            f"「{part}」は圏域として読めません。「種類:名前」と書きます（種類は {AREA_KIND.listing()}）。",
            f"'{part}' is not an area; write 'kind:name', kind one of {', '.join(AREA_KIND.labels)}.",
        )
    return {"kind": code, "name": pieces[1].strip()}


Reader = Callable[[str], dict[str, Any] | Text]


def _collect(line: int, column: str, value: str, read: Reader, parsed: ParsedCsv) -> list[dict[str, Any]]:
    """The items of a '; '-separated cell (電話, 対象圏域)."""
    items = []
    for part in re.split(r"[;；]", value):
        if not part.strip():
            continue
        item = read(part.strip())
        if isinstance(item, Text):
            parsed.problem(line, column, item.ja, item.en, "unreadable")
        else:
            items.append(item)
    return items


def _read_schedules(line: int, value: str, payload: dict[str, Any], parsed: ParsedCsv) -> None:
    """開所日時: an empty cell is no structured schedules."""
    try:
        payload["schedules"] = [s.model_dump() for s in parse_schedules(value)]
    except ScheduleNotationError as exc:
        parsed.problem(line, HEADERS["schedules"], exc.text.ja, exc.text.en, "unreadable")


def _check_status(line: int, value: str, parsed: ParsedCsv) -> None:
    code = STATUS.code(value) if value else "active"
    if code == "active":
        return
    if code == "retired":
        ja = "CSV では廃止できません。廃止は画面（社会資源の廃止）から行ってください。"
        en = "Retiring is not done by CSV; retire the resource in the directory itself."
    else:
        ja = f"「{value}」は選べません。空欄か「{STATUS.label('active')}」です。"
        en = f"'{value}' is not accepted; leave it blank or write '{STATUS.label('active')}'."
    parsed.problem(line, HEADERS["status"], ja, en, "status")


def _lost_zero(line: int, values: dict[str, str], parsed: ParsedCsv) -> bool:
    """A 6-digit postal code: Excel dropped the leading 0 (Hokkaido's codes start with 0)."""
    if not re.fullmatch(r"\d{6}", unicodedata.normalize("NFKC", values["postal_code"])):
        return False
    parsed.problem(
        line,
        HEADERS["postal_code"],
        "郵便番号が 6 桁です。Excel で先頭の 0 が消えていませんか（###-#### の形で入力してください）。",
        "The postal code has 6 digits; did Excel drop a leading 0? Write it as ###-####.",
        "leading_zero_lost",
    )
    return True


_LEGAL_ITEM = Text(
    "法定事業は 1イ、2、3ロ のように書きます（1〜5 と、あれば イ〜ホ）。",
    "A legal item is written like 1イ, 2 or 3ロ (1 to 5, then イ to ホ where there is one).",
)


def _explain(error: Mapping[str, Any]) -> tuple[str, Text]:
    """The column and message of a ResourceIn validation error, e.g. 電話 「42-21」: 形式が…"""
    loc = tuple(error.get("loc", ()))
    key = str(loc[0]) if loc else ""
    message = _LEGAL_ITEM if key == "legal_item" else validation_message(error)
    given = error.get("input")
    if key in ("phones", "areas") and len(loc) > 2 and isinstance(given, str):
        message = Text(f"「{given}」: {message.ja}", f"'{given}': {message.en}")
    return HEADERS.get(key, ROW), message


# --- reconciling with the directory --------------------------------------------------------------


@dataclass
class ImportPlan:
    """What importing a parsed file would do. Nothing may be written while `problems` is not empty."""

    creates: list[tuple[int, ResourceIn]] = field(default_factory=list)
    updates: list[tuple[int, Resource, ResourceIn]] = field(default_factory=list)
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)  # worth a look; they do not block

    @property
    def valid(self) -> int:
        return len(self.creates) + len(self.updates) + self.unchanged


def plan_import(
    parsed: ParsedCsv,
    *,
    existing: Mapping[str, Resource],
    organisations: Collection[str],
    named: Mapping[str, str],
    gazetteer: Gazetteer = NO_GAZETTEER,
) -> ImportPlan:
    """Match the rows to the tenant's directory.

    `existing`: the tenant's resources (active or retired) with the IDs the file names;
    `organisations`: the tenant's organisation ids among those the file names;
    `named`: id by name of the tenant's active resources named like the file's new rows;
    `gazetteer`: the tenant's districts, which the 対象圏域 of rows that write must name.

    A row with an ID updates that resource, which must exist, be active and, when the row carries
    its 版, not have changed since. A row without one is a new resource. A row that would change
    nothing is left alone (no new version, no event). 対象者 (accepts) has no column: kept as it is.
    """
    plan = ImportPlan(problems=list(parsed.problems))
    for line, resource_id, data in parsed.rows:
        if data.organisation_id is not None and data.organisation_id not in organisations:
            plan.problems.append(
                RowProblem(
                    line,
                    HEADERS["organisation_id"],
                    f"「{data.organisation_id}」はこの自治体に登録されていない実施機関IDです。",
                    f"'{data.organisation_id}' is not an organisation of this municipality.",
                    "unknown_organisation",
                )
            )
            continue
        if resource_id is None:
            _plan_create(plan, line, data, named)
        else:
            _plan_update(
                plan,
                line,
                existing.get(resource_id),
                data,
                parsed.versions.get(resource_id),
                parsed.encoding,
                schedules_given="schedules" in parsed.columns,
            )
    _refuse_unknown_areas(plan, gazetteer)
    plan.problems.sort(key=in_file_order)
    return plan


def _refuse_unknown_areas(plan: ImportPlan, gazetteer: Gazetteer) -> None:
    """Rows that would write areas the gazetteer does not know become problems of 対象圏域 (a row
    that changes nothing writes nothing, and is not checked)."""

    def refused(line: int, data: ResourceIn) -> bool:
        problems = area_problems(data.areas, gazetteer)
        plan.problems.extend(
            RowProblem(line, HEADERS["areas"], p.message.ja, p.message.en, p.code) for p in problems
        )
        return bool(problems)

    plan.creates = [(line, data) for line, data in plan.creates if not refused(line, data)]
    plan.updates = [(line, r, data) for line, r, data in plan.updates if not refused(line, data)]


def _plan_create(plan: ImportPlan, line: int, data: ResourceIn, named: Mapping[str, str]) -> None:
    plan.creates.append((line, data))
    same = named.get(data.name)
    if same is not None:
        plan.warnings.append(
            RowProblem(
                line,
                HEADERS["id"],
                f"同じ名称の社会資源が既にあります（ID: {same}）。更新するつもりなら ID を入れてください。"
                "このままでは新しく登録されます。",
                f"A resource with this name exists (ID {same}); give its ID to update it. "
                "As it is, a new one is created.",
                "same_name",
            )
        )


def _plan_update(
    plan: ImportPlan,
    line: int,
    resource: Resource | None,
    data: ResourceIn,
    version: int | None,
    encoding: Encoding | None,
    *,
    schedules_given: bool = True,
) -> None:
    column = HEADERS["id"]
    if resource is None:
        plan.problems.append(
            RowProblem(
                line,
                column,
                "この自治体に登録されていない ID です。新しく登録する行は ID を空欄にします。",
                "No resource of this municipality has this ID; leave the ID blank for a new one.",
                "unknown_id",
            )
        )
        return
    if resource.status != "active":
        plan.problems.append(
            RowProblem(
                line,
                column,
                "廃止された社会資源は更新できません。",
                "A retired resource cannot be updated.",
                "resource_retired",
            )
        )
        return
    data = data.model_copy(update={"accepts": AcceptsIn.model_validate(resource.accepts)})
    # Without 開所日時 (an older file) the schedules stay; rules left as exported keep what the
    # notation does not carry (a description), so an unedited row is no change.
    stored = [ScheduleIn.model_validate(s) for s in resource.schedules]
    data = data.model_copy(
        update={"schedules": as_stored(stored, data.schedules) if schedules_given else stored}
    )
    if encoding == "cp932":
        data = _unedited_as_stored(resource, data)
    if not differs(resource, data):
        plan.unchanged += 1
    elif version is not None and version != resource.version:
        plan.problems.append(
            RowProblem(
                line,
                HEADERS["version"],
                f"書き出した後に他の人が更新しています（版 {version} → 現在 {resource.version}）。"
                "最新を書き出して、その上で直してください。",
                f"Changed by someone since it was exported (version {version}, now {resource.version}). "
                "Export again and edit that.",
                "stale_row",
            )
        )
    else:
        plan.updates.append((line, resource, data))


_PLAIN_TEXT = ("name", "name_kana", "responsible_section", "program", "description", "address", "schedule")


def _through_cp932(text: str) -> str | None:
    """How a text reads back from a cp932 export: 〜 (U+301C) comes back as ～ (U+FF5E), and so on."""
    try:
        return text.translate(_CP932_TWINS).encode("cp932").decode("cp932")
    except UnicodeEncodeError:
        return None


def _unedited_as_stored(resource: Resource, data: ResourceIn) -> ResourceIn:
    """Texts of a cp932 file that differ from the stored ones only as cp932 changed them were not
    edited: they keep the stored form, so a round trip through Excel changes nothing."""

    def unedited(stored: str | None, given: str | None) -> bool:
        return stored is not None and given is not None and given == _through_cp932(stored) != stored

    kept: dict[str, Any] = {
        key: getattr(resource, key)
        for key in _PLAIN_TEXT
        if unedited(getattr(resource, key), getattr(data, key))
    }
    if len(resource.areas) == len(data.areas):
        kept["areas"] = [
            area.model_copy(update={"name": stored["name"]})
            if stored["kind"] == area.kind and unedited(stored["name"], area.name)
            else area
            for stored, area in zip(resource.areas, data.areas, strict=True)
        ]
    return data.model_copy(update=kept)
