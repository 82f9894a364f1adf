"""`Idempotency-Key` for create endpoints: a retried request gets the first response, not a second effect.

A route uses it in three steps:

    outcome = await reserve(db, table, scope=caller, key=check_key(header),
                            request_hash=request_fingerprint(method, path, body), now=utcnow())
    if isinstance(outcome, Replay):
        return Response(outcome.body, status_code=outcome.status_code, headers=outcome.headers)
    try:
        async with db.transaction() as session:
            ...  # the use case
            await complete(session, table, outcome, status_code=201, body=body, headers=headers)
    except BaseException:
        await release(db, table, outcome)
        raise

The reservation commits on its own, so a concurrent retry sees it and gets 409 rather than running the
use case twice; the stored response commits with the use case's effect, so one never exists without
the other. A process that dies between the two leaves a reservation whose lock runs out, and the next
retry takes it over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.types import Text as SqlText

from shared.db import Database, UTCDateTime
from shared.errors import DomainError, FieldProblem, Text

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
MAX_SCOPE_LENGTH = 300
IN_FLIGHT = "in_flight"
COMPLETED = "completed"
# Each lost race means another caller changed the row between our read and our write; a few rounds
# settle it, since every round ends with that caller's row in a state we can answer from.
_RESERVE_ROUNDS = 5


def define_idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        # Who owns the key (tenant/organisation/subject), so equal keys of two callers never meet.
        Column("scope", String(MAX_SCOPE_LENGTH), nullable=False),
        Column("key", String(MAX_KEY_LENGTH), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("state", String(20), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", SqlText, nullable=True),
        Column("response_headers", JSON, nullable=True),
        Column("created_at", UTCDateTime, nullable=False, index=True),
        Column("locked_until", UTCDateTime, nullable=False),
        PrimaryKeyConstraint("scope", "key"),
    )


class IdempotencyKeyReused(DomainError):
    slug = "idempotency-key-reused"
    status = 422
    title = Text(
        "この Idempotency-Key は別の内容の要求で使われています。",
        "This Idempotency-Key was already used for a different request.",
    )

    def __init__(self) -> None:
        super().__init__(
            Text("新しい要求には新しいキーを使ってください。", "Use a new key for a new request."),
            fields=[
                FieldProblem(
                    HEADER,
                    Text("別の内容の要求で使用済みのキーです。", "Already used for a different request."),
                    "reused",
                )
            ],
        )


class IdempotencyKeyInFlight(DomainError):
    slug = "idempotency-key-in-flight"
    status = 409
    title = Text(
        "同じ Idempotency-Key の要求を処理中です。",
        "A request with this Idempotency-Key is still being processed.",
    )

    def __init__(self, detail: Text | None = None) -> None:
        super().__init__(
            detail
            or Text(
                "しばらく待ってから同じ要求を再送してください。",
                "Wait a moment, then send the same request again.",
            )
        )


class InvalidIdempotencyKey(DomainError):
    # 422 like any other field that breaks its rule, header or not.
    slug = "invalid-idempotency-key"
    status = 422
    title = Text("Idempotency-Key が正しくありません。", "The Idempotency-Key is not valid.")

    def __init__(self) -> None:
        super().__init__(
            fields=[
                FieldProblem(
                    HEADER,
                    Text(
                        f"1〜{MAX_KEY_LENGTH} 文字の印字可能な ASCII 文字で指定してください。",
                        f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
                    ),
                    "invalid",
                )
            ]
        )


@dataclass(frozen=True)
class Replay:
    """The response stored for the first request with this key; send it again as it is."""

    status_code: int
    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Reservation:
    """This request holds the key: run the use case, then `complete` (or `release` if it failed)."""

    scope: str
    key: str
    request_hash: str


def check_key(key: str) -> str:
    """The key as given, if it is 1–200 printable ASCII characters; else InvalidIdempotencyKey."""
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise InvalidIdempotencyKey()
    return key


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 (hex) of what makes two requests "the same": method, path and body.

    A JSON body is canonicalised (sorted keys, no whitespace), so a client that re-serialises its
    payload on retry is not told it changed the request. Pass the path with its query when the query
    matters to the endpoint.
    """
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode("utf-8", "surrogatepass"), _canonical_body(body)):
        # Length-prefixed, so moving bytes between path and body cannot give another request's hash.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _canonical_body(body: bytes) -> bytes:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return body
    # Equal exactly when the service would parse equal values (ASCII escapes: lone surrogates survive).
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


async def reserve(
    db: Database,
    table: Table,
    *,
    scope: str,
    key: str,
    request_hash: str,
    now: datetime,
    lock_seconds: float = 60,
) -> Replay | Reservation:
    """Claim `key` for this request, in a short transaction of its own that commits at once.

    Returns the stored response if the same request already completed. Raises IdempotencyKeyReused
    when the key belongs to a different request, IdempotencyKeyInFlight while the first attempt still
    holds it. A reservation whose lock ran out (its attempt died) is taken over.
    """
    check_key(key)
    if not 0 < len(scope) <= MAX_SCOPE_LENGTH:
        raise ValueError(f"an idempotency scope must be 1 to {MAX_SCOPE_LENGTH} characters")
    locked_until = now + timedelta(seconds=lock_seconds)
    reservation = Reservation(scope=scope, key=key, request_hash=request_hash)
    for _ in range(_RESERVE_ROUNDS):
        try:
            async with db.transaction() as session:
                outcome = await _reserve_once(session, table, reservation, now=now, locked_until=locked_until)
        except IntegrityError:
            # Another attempt inserted the key between our read and our insert: its row decides.
            continue
        if outcome is not None:
            return outcome
    raise IdempotencyKeyInFlight()


async def _reserve_once(
    session: AsyncSession, table: Table, reservation: Reservation, *, now: datetime, locked_until: datetime
) -> Replay | Reservation | None:
    """One round; None when another attempt took an expired reservation over first."""
    row = (await session.execute(select(table).where(_row_of(table, reservation)))).first()
    if row is None:
        await session.execute(
            insert(table).values(
                scope=reservation.scope,
                key=reservation.key,
                request_hash=reservation.request_hash,
                state=IN_FLIGHT,
                created_at=now,
                locked_until=locked_until,
            )
        )
        return reservation
    if row.request_hash != reservation.request_hash:
        raise IdempotencyKeyReused()
    if row.state == COMPLETED:
        return Replay(
            status_code=row.status_code, body=row.response_body, headers=dict(row.response_headers or {})
        )
    if row.locked_until > now:
        raise IdempotencyKeyInFlight()
    # The first attempt died holding the key. Compare-and-set on the lock, so of two retries taking it
    # over at once only one wins (on PostgreSQL the loser re-checks the row after the winner commits).
    taken = await _changed(
        session,
        update(table)
        .where(_row_of(table, reservation), table.c.state == IN_FLIGHT, table.c.locked_until <= now)
        .values(locked_until=locked_until),
    )
    return reservation if taken == 1 else None


async def complete(
    session: AsyncSession,
    table: Table,
    reservation: Reservation,
    *,
    status_code: int,
    body: str,
    headers: Mapping[str, str],
) -> None:
    """Store the response in the use case's own transaction: it commits with the effect or not at all.

    Raises IdempotencyKeyInFlight (rolling the use case back) if the reservation is no longer ours to
    complete: our lock ran out and a retry that took it over completed first, or it was released.
    """
    done = await _changed(
        session,
        update(table)
        .where(
            _row_of(table, reservation),
            table.c.state == IN_FLIGHT,
            table.c.request_hash == reservation.request_hash,
        )
        .values(state=COMPLETED, status_code=status_code, response_body=body, response_headers=dict(headers)),
    )
    if done != 1:
        raise IdempotencyKeyInFlight(
            Text(
                "同じキーの別の要求が先に処理されました。同じ要求を再送すると結果を受け取れます。",
                "Another request with this key was handled first; send the same request again to get its"
                " result.",
            )
        )


async def release(db: Database, table: Table, reservation: Reservation) -> None:
    """The use case failed and saved nothing: free the key so a corrected retry may use it."""
    async with db.transaction() as session:
        # Only an in-flight row: if the commit did go through after all, its response stays.
        await session.execute(
            delete(table).where(
                _row_of(table, reservation),
                table.c.state == IN_FLIGHT,
                table.c.request_hash == reservation.request_hash,
            )
        )


async def purge_expired(db: Database, table: Table, *, older_than: datetime) -> int:
    """Forget keys created before `older_than`; returns how many. Housekeeping, run periodically."""
    async with db.transaction() as session:
        return await _changed(
            session,
            delete(table).where(
                table.c.created_at < older_than,
                # A reservation taken over recently is still someone's: leave it until its lock ends.
                or_(table.c.state == COMPLETED, table.c.locked_until < older_than),
            ),
        )


def _row_of(table: Table, reservation: Reservation) -> ColumnElement[bool]:
    return and_(table.c.scope == reservation.scope, table.c.key == reservation.key)


async def _changed(session: AsyncSession, statement: Executable) -> int:
    """Rows an UPDATE or DELETE touched."""
    result = await session.execute(statement)
    # DML answers with a CursorResult; the stubs do not tell it apart from a row result.
    return cast("CursorResult[Any]", result).rowcount
