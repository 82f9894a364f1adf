"""Keyset pagination, the one way every list pages: opaque cursors over a stable, total order.

A list declares its order once, as an `Ordering`: the sort keys with their direction, the last one
unique (the id), so that no two rows compare equal. A page is the rows after the cursor's position in
that order; its `next_cursor` carries the sort-key values of the page's last row (never an offset),
so rows inserted or removed meanwhile never make a page skip or repeat a row, and rows with equal
sort keys straddling a page boundary are told apart by the keys after them.

    ORDER = Ordering("cases", SortKey(Case.opened_at, datetime, descending=True),
                     SortKey(Case.id, str, descending=True))
    cases, next_cursor = await keyset_page(session, select(Case).where(...), ORDER,
                                           cursor=cursor, limit=limit)

A cursor names its ordering (a short fingerprint of the list's name and keys), so one that does not
decode, carries values of the wrong kind, or comes from another list or ordering is a 422 naming
`cursor`, never a 500 or a silently wrong page. Sort keys must be NOT NULL.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import and_, false, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement, Select

from shared.errors import FieldProblem, InvalidInput, Text

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Sort keys can be text (a reading of up to 300 characters): room for it, base64 of UTF-8 JSON.
MAX_CURSOR_LENGTH = 2000

CursorParam = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page; none for the first"),
]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


KeyKind = type[str] | type[int] | type[datetime] | type[date]


@dataclass(frozen=True)
class SortKey:
    """One key of an ordering: a NOT NULL column or SQL expression, the Python kind of its values."""

    expression: ColumnElement[Any] | InstrumentedAttribute[Any]
    kind: KeyKind
    descending: bool = False
    name: str | None = None  # for the fingerprint; the column's name by default

    @property
    def label(self) -> str:
        return self.name or str(getattr(self.expression, "key", None) or self.expression)


class Ordering:
    """The total order of a list: its keys, most significant first, the last one unique."""

    def __init__(self, name: str, *keys: SortKey) -> None:
        if not keys:
            raise ValueError("an ordering needs at least one key")
        self.name = name
        self.keys: tuple[SortKey, ...] = keys
        spelled = ",".join(f"{k.label}{'-' if k.descending else '+'}" for k in keys)
        self.fingerprint = hashlib.sha256(f"{name}:{spelled}".encode()).hexdigest()[:10]

    def order_by(self) -> list[ColumnElement[Any]]:
        return [k.expression.desc() if k.descending else k.expression.asc() for k in self.keys]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """Rows strictly after the position `values` (one per key) in this order."""
        alternatives: list[ColumnElement[bool]] = []
        for i, key in enumerate(self.keys):
            equal_before = [k.expression == v for k, v in zip(self.keys[:i], values[:i], strict=True)]
            beyond = key.expression < values[i] if key.descending else key.expression > values[i]
            alternatives.append(and_(*equal_before, beyond))
        return or_(false(), *alternatives)

    def encode(self, values: Sequence[Any]) -> str:
        return encode_cursor([self.fingerprint, *(_to_json(v) for v in values)])

    def decode(self, cursor: str) -> list[Any]:
        fingerprint, *values = decode_cursor(cursor, arity=len(self.keys) + 1)
        if fingerprint != self.fingerprint:
            raise _bad_cursor()  # another list's cursor, or this list in another order
        return [_from_json(key.kind, value) for key, value in zip(self.keys, values, strict=True)]


async def keyset_page(
    session: AsyncSession,
    query: Select[*tuple[Any, ...]],
    ordering: Ordering,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """One page of `query` in `ordering`, after `cursor`; and the cursor of the next page (None on
    the last). A query selecting one entity or column gives those; otherwise each row's mapping."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    single = len(query.selected_columns) == 1 or _one_entity(query)
    width = len(ordering.keys)
    labels = [f"_keyset_{i}" for i in range(width)]
    statement = query.add_columns(
        *(k.expression.label(n) for k, n in zip(ordering.keys, labels, strict=True))
    )
    if cursor is not None:
        statement = statement.where(ordering.after(ordering.decode(cursor)))
    statement = statement.order_by(None).order_by(*ordering.order_by()).limit(limit + 1)
    rows = list((await session.execute(statement)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items: list[Any] = []
    for row in rows:
        if single:
            items.append(row[0])
        else:
            items.append({k: v for k, v in row._mapping.items() if k not in labels})
    next_cursor = ordering.encode(list(rows[-1][-width:])) if more else None
    return items, next_cursor


def _one_entity(query: Select[*tuple[Any, ...]]) -> bool:
    descriptions = query.column_descriptions
    return len(descriptions) == 1 and descriptions[0].get("entity") is not None


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _from_json(kind: KeyKind, value: Any) -> Any:
    if kind is datetime:
        return cursor_time(value)
    if kind is date:
        if not isinstance(value, str):
            raise _bad_cursor()
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _bad_cursor() from None
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad_cursor()
        return value
    if not isinstance(value, str):
        raise _bad_cursor()
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False, default=str).encode()
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
    if not isinstance(value, str):
        raise _bad_cursor()
    try:
        moment = datetime.fromisoformat(value)
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
