"""Cursor pagination: opaque cursors over a stable (sort key, id) order."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared.errors import FieldProblem, InvalidInput, Text

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != arity:
        raise _bad_cursor()
    return values


def cursor_time(value: Any) -> datetime:
    """A cursor's timestamp: ISO 8601 with a time zone, as this service wrote it."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad_cursor() from None
    if moment.tzinfo is None:
        raise _bad_cursor()
    return moment


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        Text("カーソルが正しくありません。", "The cursor is not valid."),
        fields=[
            FieldProblem(
                "cursor",
                Text(
                    "前の応答の next_cursor を指定してください。", "Pass next_cursor from the previous page."
                ),
            )
        ],
    )
