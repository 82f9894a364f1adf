"""Safe writes: idempotent creates (Idempotency-Key) and optimistic concurrency (ETag / If-Match).

If-Match is checked against the version read; the write itself is conditional too (the models map
`version` as SQLAlchemy's version_id_col, so their UPDATE says `WHERE version = :read`): of two
writers holding the same ETag, the second's UPDATE matches no row and it gets 412 (StaleWrite).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Header, Request
from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shared import idempotency
from shared.auth.trail import record
from shared.db import Database, utcnow
from shared.errors import FieldProblem, PreconditionRequired, StaleWrite, Text

if TYPE_CHECKING:
    from shared.auth.policy import Access


def _id_of(body: str) -> str | None:
    try:
        value = json.loads(body).get("id")
    except (ValueError, AttributeError):
        return None
    return str(value) if value is not None else None


# Declares the header on an update route (so the OpenAPI lists it, and 412/428 with it); the check
# itself is require_if_match, against the version read, and the write is conditional as well.
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag you read (required: 428 without it, 412 when someone changed it since).",
    ),
]


def etag_of(resource_id: str, version: int) -> str:
    return f'"{resource_id}.v{version}"'


def require_if_match(request: Request, resource_id: str, version: int) -> None:
    """Refuse a write made from a stale read; `*` is not accepted for shared records."""
    header = request.headers.get("if-match")
    if header is None:
        raise PreconditionRequired(
            fields=[FieldProblem("If-Match", Text("必須です。", "Required."), "missing")]
        )
    current = etag_of(resource_id, version)
    offered = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    if current not in offered:
        raise StaleWrite(extra={"current_etag": current})


@dataclass(frozen=True)
class Created:
    body: BaseModel
    location: str
    etag: str | None = None


Work = Callable[[AsyncSession], Awaitable[Created]]


async def create_once(
    request: Request,
    *,
    db: Database,
    table: Table,
    access: Access,
    work: Work,
    audit_table: Table,
) -> Response:
    """Run a create use case at most once per Idempotency-Key: a retry gets the first response again.

    Without the header the create simply runs. The stored response commits with the effect, in the
    use case's own transaction; a failed attempt releases the key.
    """
    key = request.headers.get("idempotency-key")
    reservation: idempotency.Reservation | None = None
    if key is not None:
        idempotency.check_key(key)
        body = await request.body()
        outcome = await idempotency.reserve(
            db,
            table,
            scope=f"{access.caller.tenant_id}/{access.caller.organisation_id}/{access.caller.subject}",
            key=key,
            request_hash=idempotency.request_fingerprint(request.method, request.url.path, body),
            now=utcnow(),
            lock_seconds=request.app.state.settings.idempotency_lock_seconds,
        )
        if isinstance(outcome, idempotency.Replay):
            # A replay hands the record out again: audited like a read of it.
            async with db.transaction() as session:
                await record(session, audit_table, access, action="replay", resource_id=_id_of(outcome.body))
            return Response(
                outcome.body,
                status_code=outcome.status_code,
                headers={**outcome.headers, "Idempotent-Replayed": "true"},
                media_type="application/json",
            )
        reservation = outcome
    try:
        async with db.transaction(scope=access.scope) as session:
            created = await work(session)
            payload = created.body.model_dump_json()
            headers = {"Location": created.location}
            if created.etag:
                headers["ETag"] = created.etag
            if reservation is not None:
                await idempotency.complete(
                    session, table, reservation, status_code=201, body=payload, headers=headers
                )
    except BaseException:
        if reservation is not None:
            await idempotency.release(db, table, reservation)
        raise
    return Response(payload, status_code=201, headers=headers, media_type="application/json")
