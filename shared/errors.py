"""One DomainError hierarchy and one renderer of RFC 9457 problem+json.

Services raise domain errors; the handlers here turn them, and FastAPI's validation errors, into
problem documents whose title and detail follow Accept-Language (Japanese by default, English on
request) and which always name the offending fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://jusou.example.jp/problems/"


@dataclass(frozen=True)
class Text:
    """A message in both languages the users read."""

    ja: str
    en: str

    def pick(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: Text
    code: str = "invalid"


class DomainError(Exception):
    """A business rule said no. Subclasses fix `slug`, `status` and `title`."""

    slug: ClassVar[str] = "domain-error"
    status: ClassVar[int] = 400
    title: ClassVar[Text] = Text("要求を処理できません。", "The request cannot be processed.")
    headers: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        detail: Text | None = None,
        *,
        fields: Sequence[FieldProblem] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail.en if detail else self.slug)
        self.detail = detail
        self.fields = tuple(fields)
        self.extra = dict(extra or {})


class NotFound(DomainError):
    slug = "not-found"
    status = 404
    title = Text("対象が見つかりません。", "Not found.")


class InvalidInput(DomainError):
    """Input that is well-formed JSON but breaks a rule checked outside the schema."""

    slug = "validation-error"
    status = 422
    title = Text("入力内容に誤りがあります。", "The input is not valid.")


class Conflict(DomainError):
    slug = "conflict"
    status = 409
    title = Text("現在の状態ではこの操作はできません。", "The resource is not in a state that allows this.")


class PayloadTooLarge(DomainError):
    slug = "payload-too-large"
    status = 413
    title = Text("送信データが大きすぎます。", "The request body is too large.")


def preferred_language(request: Request) -> str:
    """'en' when the caller prefers English over Japanese, else 'ja' (the users' language)."""
    header = request.headers.get("accept-language", "")
    best_lang, best_q = "ja", -1.0
    for part in header.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        if not tag:
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = tag.split("-")[0]
        if lang in ("ja", "en") and q > 0 and q > best_q:
            best_lang, best_q = lang, q
    return best_lang


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: Text,
    detail: Text | None = None,
    fields: Sequence[FieldProblem] = (),
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    lang = preferred_language(request)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title.pick(lang),
        "status": status,
        "instance": request.url.path,
    }
    if detail is not None:
        body["detail"] = detail.pick(lang)
    if fields:
        body["errors"] = [{"field": f.field, "code": f.code, "message": f.message.pick(lang)} for f in fields]
    if extra:
        body.update(extra)
    request_id = request.headers.get("x-request-id")
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(
        body,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Content-Language": lang, **(headers or {})},
    )


# Pydantic error types translated for the people at the window.
_VALIDATION_TEXT: dict[str, Text] = {
    "missing": Text("必須項目です。", "This field is required."),
    "extra_forbidden": Text("この項目は受け付けていません。", "This field is not accepted."),
    "string_type": Text("文字列で入力してください。", "Must be a string."),
    "int_type": Text("整数で入力してください。", "Must be an integer."),
    "int_parsing": Text("整数で入力してください。", "Must be an integer."),
    "bool_type": Text("真偽値で入力してください。", "Must be true or false."),
    "bool_parsing": Text("真偽値で入力してください。", "Must be true or false."),
    "list_type": Text("配列で入力してください。", "Must be an array."),
    "dict_type": Text("オブジェクトで入力してください。", "Must be an object."),
    "model_type": Text("オブジェクトで入力してください。", "Must be an object."),
    "model_attributes_type": Text("オブジェクトで入力してください。", "Must be an object."),
    "date_from_datetime_parsing": Text(
        "存在しない日付、または日付の形式（YYYY-MM-DD）ではありません。",
        "Not an existing date in the form YYYY-MM-DD.",
    ),
    "date_parsing": Text(
        "存在しない日付、または日付の形式（YYYY-MM-DD）ではありません。",
        "Not an existing date in the form YYYY-MM-DD.",
    ),
    "date_type": Text("日付（YYYY-MM-DD）で入力してください。", "Must be a date (YYYY-MM-DD)."),
    "datetime_parsing": Text(
        "存在しない日時、または日時の形式（ISO 8601）ではありません。",
        "Not an existing date-time in ISO 8601 form.",
    ),
    "datetime_from_date_parsing": Text(
        "存在しない日時、または日時の形式（ISO 8601）ではありません。",
        "Not an existing date-time in ISO 8601 form.",
    ),
    "datetime_type": Text("日時（ISO 8601）で入力してください。", "Must be an ISO 8601 date-time."),
    "timezone_aware": Text("タイムゾーン付きの日時で入力してください。", "The date-time needs a time zone."),
    "enum": Text("選択肢にない値です。", "Not one of the allowed values."),
    "literal_error": Text("選択肢にない値です。", "Not one of the allowed values."),
    "string_too_short": Text("入力が短すぎます。", "Too short."),
    "string_too_long": Text("入力が長すぎます。", "Too long."),
    "too_short": Text("項目が足りません。", "Too few items."),
    "too_long": Text("項目が多すぎます。", "Too many items."),
    "string_pattern_mismatch": Text("形式が正しくありません。", "The format is not valid."),
    "uuid_parsing": Text("ID の形式が正しくありません。", "Not a valid id."),
    "uuid_type": Text("ID の形式が正しくありません。", "Not a valid id."),
    "greater_than_equal": Text("値が小さすぎます。", "The value is too small."),
    "less_than_equal": Text("値が大きすぎます。", "The value is too large."),
    "greater_than": Text("値が小さすぎます。", "The value is too small."),
    "less_than": Text("値が大きすぎます。", "The value is too large."),
}


def _field_path(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts.pop(0)
        if not parts:
            return str(where)
        if where != "body":
            return ".".join(str(p) for p in parts)
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "body"


def validation_message(error: Mapping[str, Any]) -> Text:
    known = _VALIDATION_TEXT.get(str(error.get("type")))
    if known is not None:
        return known
    # A rule raised from a validator carries its own message, in both languages when we wrote it.
    ctx = error.get("ctx") or {}
    raised = ctx.get("error")
    if isinstance(raised, BilingualValueError):
        return raised.text
    msg = str(error.get("msg", "invalid"))
    return Text(msg, msg)


class BilingualValueError(ValueError):
    """Raise from a pydantic validator to give the field a message in both languages."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(en)
        self.text = Text(ja, en)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            request,
            status=400,
            slug="malformed-json",
            title=Text("JSON として読めません。", "The body is not valid JSON."),
            detail=Text(
                "リクエスト本文の JSON 構文を確認してください。", "Check the JSON syntax of the body."
            ),
            fields=[
                FieldProblem("body", Text("JSON の構文エラーです。", "JSON syntax error."), "json_invalid")
            ],
        )
    fields = [
        FieldProblem(_field_path(e.get("loc", ())), validation_message(e), str(e.get("type", "invalid")))
        for e in errors
    ]
    return problem_response(
        request,
        status=422,
        slug="validation-error",
        title=InvalidInput.title,
        detail=Text("入力内容を確認してください。", "Check the fields listed in errors."),
        fields=fields,
    )


async def render_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        fields=exc.fields,
        extra=exc.extra,
        headers=exc.headers,
    )


_HTTP_TITLES: dict[int, Text] = {
    404: NotFound.title,
    405: Text("このメソッドは使えません。", "Method not allowed."),
    413: PayloadTooLarge.title,
    415: Text("Content-Type が正しくありません。", "Unsupported media type."),
}


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's word for a body it cannot even decode (not UTF-8, say): name the body, like
        # malformed JSON.
        return problem_response(
            request,
            status=400,
            slug="malformed-body",
            title=Text("リクエスト本文を読めません。", "The body cannot be read."),
            detail=Text("本文は UTF-8 の JSON で送ってください。", "Send the body as JSON encoded in UTF-8."),
            fields=[FieldProblem("body", Text("読めない本文です。", "Unreadable body."), "unreadable")],
        )
    if exc.status_code == PayloadTooLarge.status:
        return problem_response(
            request,
            status=PayloadTooLarge.status,
            slug=PayloadTooLarge.slug,
            title=PayloadTooLarge.title,
            detail=Text("送信データが上限を超えています。", "The body exceeds the size limit."),
            fields=[FieldProblem("body", Text("大きすぎます。", "Too large."), "too_large")],
        )
    title = _HTTP_TITLES.get(
        exc.status_code, Text("要求を処理できません。", "The request cannot be processed.")
    )
    return problem_response(
        request,
        status=exc.status_code,
        slug=f"http-{exc.status_code}",
        title=title,
        headers=getattr(exc, "headers", None),
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Logged by the server with its traceback; the caller gets no internals, only the request id.
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title=Text("サーバー内部でエラーが発生しました。", "Internal server error."),
        detail=Text(
            "request_id を添えて運用担当者に連絡してください。",
            "Report the request_id to the operators.",
        ),
    )


class PreconditionRequired(DomainError):
    slug = "precondition-required"
    status = 428
    title = Text(
        "If-Match ヘッダーが必要です（取得時の ETag を指定）。",
        "Send If-Match with the ETag you read, so that no one's change is overwritten.",
    )


class StaleWrite(DomainError):
    slug = "stale-write"
    status = 412
    title = Text(
        "他の利用者が先に更新しました。最新の内容を取得してからやり直してください。",
        "Someone changed this since you read it. Read it again, then retry.",
    )


class ConcurrentWrite(DomainError):
    slug = "concurrent-write"
    status = 409
    title = Text(
        "同時に行われた別の変更と重なりました。内容を確認してからやり直してください。",
        "Another change made at the same moment came first. Check, then retry.",
    )


async def _on_integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A unique key refused the write: two requests raced for one thing, and the database let one
    # through. The loser is told so; nothing of its request was saved. Any other integrity error
    # (a NOT NULL, a foreign key) is a bug, and answered as one.
    from shared.db import is_unique_violation  # shared.db imports settings; keep errors light

    if is_unique_violation(exc):
        return await render_domain_error(request, ConcurrentWrite())
    return await _on_unexpected(request, exc)


async def _on_stale_data(request: Request, exc: Exception) -> JSONResponse:
    # A conditional UPDATE (`WHERE version = :read`) matched no row: another writer came first.
    return await render_domain_error(request, StaleWrite())


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(DomainError, render_domain_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(StaleDataError, _on_stale_data)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(Exception, _on_unexpected)
