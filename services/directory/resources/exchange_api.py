"""HTTP for 社会資源一覧の CSV: the staff who keep the directory in Excel export it, edit it and import it.

Mount this router before `resources.api.router`: otherwise GET /resources/export.csv is taken by
GET /resources/{resource_id}.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.directory.access import authorize
from services.directory.deps import DirectoryWork
from services.directory.resources import csv_exchange, imports, service
from services.directory.resources.csv_exchange import Encoding, ImportPlan, ParsedCsv, RowProblem
from services.directory.resources.models import Resource
from shared.db import utcnow
from shared.errors import DomainError, Text, preferred_language

router = APIRouter(prefix="/directory/v1", tags=["directory"], dependencies=[Depends(authorize)])

JST = timezone(timedelta(hours=9), "JST")
MEDIA_TYPES: dict[Encoding, str] = {
    "utf-8-sig": "text/csv; charset=utf-8",
    "cp932": "text/csv; charset=Shift_JIS",  # what browsers and Excel call cp932 (Windows-31J)
}
_CSV_SCHEMA = {"type": "string", "format": "binary"}
_COLUMNS = "、".join(csv_exchange.HEADERS.values())
# One row as the export writes it (版 1: the version it was exported at), edited in Excel and sent back.
_CSV_EXAMPLE = (
    ",".join(csv_exchange.HEADERS.values())
    + "\r\n016314-ranran,地域包括支援センターらんらん,チイキホウカツシエンセンターランラン,相談窓口,介護,,"
    "016314-hakuju-kyokai,委託,,,高齢者の総合相談,,柏寿台1番地5,67-7090; FAX:67-7640,"
    "junior_high_district:音更中学校区; junior_high_district:駒場中学校区,,月〜金 8:30-17:15,公開中,1\r\n"
)


class CsvBodyExpected(DomainError):
    slug = "csv-body-expected"
    status = 415
    title = Text(
        "CSV ファイルの中身をそのまま本文として送ってください（Content-Type: text/csv）。",
        "Send the CSV file itself as the body (Content-Type: text/csv), not a form.",
    )


class CsvProblemOut(BaseModel):
    line: int = Field(description="row number as Excel shows it; the header is row 1")
    field: str = Field(description="the column (its Japanese header), or ファイル / 行")
    code: str
    message: str


class CsvImportReport(BaseModel):
    """What an import would do. Counts are of the rows without problems."""

    dry_run: Literal[True] = True
    encoding: Encoding | None = Field(description="as read (given or detected); null if unreadable")
    rows: int = Field(description="data rows in the file")
    valid: int = Field(description="rows without problems")
    problems: list[CsvProblemOut] = Field(description="each blocks the import until fixed")
    warnings: list[CsvProblemOut] = Field(description="worth a look; they do not block")
    would_create: int
    would_update: int
    unchanged: int = Field(description="rows with an ID that change nothing: left alone")


class CsvImportResult(BaseModel):
    dry_run: Literal[False] = False
    created: int
    updated: int
    unchanged: int


@router.get(
    "/resources/export.csv",
    response_class=Response,
    operation_id="exportResourcesCsv",
    summary="社会資源一覧の CSV 書き出し: every active resource, for Excel",
    description=(
        f"Columns: {_COLUMNS}. 種別・分野・実施方式 are written as Japanese labels. `utf-8-sig` "
        "(Excel's 'CSV UTF-8', the default) or `cp932` (Shift_JIS, Excel's plain 'CSV'); with cp932, "
        "characters it lacks are refused (422, naming resource and column) rather than replaced."
    ),
    responses={
        200: {"content": {"text/csv": {"schema": _CSV_SCHEMA}}, "description": "the CSV file"},
        422: {"description": "a character with no cp932 form (choose utf-8-sig)"},
    },
)
async def export_resources_csv(
    work: DirectoryWork,
    encoding: Annotated[
        Encoding, Query(description="utf-8-sig (with BOM) or cp932 (Shift_JIS)")
    ] = "utf-8-sig",
) -> Response:
    async with work.transaction() as session:
        query = select(Resource).where(Resource.status == "active").order_by(Resource.name_kana, Resource.id)
        resources = list((await session.scalars(query)).all())
        names = await service.organisation_names(session, resources)
    body = csv_exchange.export_csv([service.to_out(r, names) for r in resources], encoding)
    return Response(
        body,
        media_type=MEDIA_TYPES[encoding],
        headers={"Content-Disposition": _attachment(work.access.caller.tenant_id)},
    )


def _attachment(tenant_id: str) -> str:
    today = utcnow().astimezone(JST).strftime("%Y%m%d")
    japanese = quote(f"社会資源一覧_{tenant_id}_{today}.csv")
    return f"attachment; filename=\"directory-{tenant_id}-{today}.csv\"; filename*=UTF-8''{japanese}"


@router.post(
    "/resources/import.csv",
    response_model=CsvImportReport | CsvImportResult,
    operation_id="importResourcesCsv",
    summary="社会資源一覧の CSV 取り込み: check (dry run, the default), or apply all rows or none",
    description=(
        "The body is the CSV file itself, as exported (UTF-8 with or without BOM, or cp932; detected "
        "unless `encoding` is given). A row with an ID updates that resource; a row without one "
        "creates a new resource. Rows left out of the file are not retired.\n\n"
        "`dry_run=true` (default) writes nothing and reports every problem by row and column. "
        "`dry_run=false` imports in one transaction, or, with any problem, imports nothing and "
        "answers 422 with the same list in `errors` (`field` like `line 5: 電話`)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": f"the CSV file; header row: {_COLUMNS}",
            "content": {"text/csv": {"schema": _CSV_SCHEMA, "example": _CSV_EXAMPLE}},
        }
    },
)
async def import_resources_csv(
    request: Request,
    work: DirectoryWork,
    dry_run: bool = True,
    encoding: Annotated[
        Encoding | None, Query(description="detected when left out: UTF-8 (BOM or not), else cp932")
    ] = None,
) -> CsvImportReport | CsvImportResult:
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        raise CsvBodyExpected()
    parsed = csv_exchange.parse_csv(await request.body(), encoding)
    caller = work.access.caller
    async with work.transaction(dry_run=dry_run) as session:
        if dry_run:
            plan = await imports.check_csv(session=session, parsed=parsed, tenant_id=caller.tenant_id)
            return _report(parsed, plan, preferred_language(request))
        done = await imports.import_csv(
            session=session, parsed=parsed, tenant_id=caller.tenant_id, actor=caller.subject, now=utcnow()
        )
    return CsvImportResult(created=done.created, updated=done.updated, unchanged=done.unchanged)


def _report(parsed: ParsedCsv, plan: ImportPlan, lang: str) -> CsvImportReport:
    def out(problems: list[RowProblem]) -> list[CsvProblemOut]:
        return [
            CsvProblemOut(
                line=p.line,
                field=p.field,
                code=p.code,
                message=p.reason_en if lang == "en" else p.reason_ja,
            )
            for p in problems
        ]

    return CsvImportReport(
        encoding=parsed.encoding,
        rows=parsed.read,
        valid=plan.valid,
        problems=out(plan.problems),
        warnings=out(plan.warnings),
        would_create=len(plan.creates),
        would_update=len(plan.updates),
        unchanged=plan.unchanged,
    )
