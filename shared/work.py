"""The unit of work: one per request, and the only way a route reaches its service's database.

It opens the tenant-scoped transaction and, from the operation's rule (`shared.auth.policy.Rule`),
does what every use case of that kind needs, so that a route cannot forget it:

- the audit entry: every change, in its transaction; every read of personal data, right after the
  read (a read-only transaction, which never waits for the service's writers nor holds them up), in a
  write transaction shared with the other reads finishing then (`shared.auth.trail.ReadTrail`, a
  group commit), committed before the answer leaves: a crash never loses an entry for data that was
  returned. Rows that belong with the entry (`shared.db.add_with_audit`: the record of a disclosure)
  are written with it;
- a create: Idempotency-Key (a retry gets the first answer again, stored with the effect);
- an update: If-Match is required (428) and checked against the record the use case loads (412;
  an unknown record stays 404), and the answer carries the new ETag. The write itself is conditional
  (`shared.db.Versioned`), so of two writers with the same ETag the second gets 412 too;
- a unique key met at the same moment by another request answers 409 (`shared.errors`).

A route that skips a step (an update that never checks a record, a create that never says what it
created) fails with UnitOfWorkMisused, never writes without it; the suites call every operation.

    async with work.transaction() as session:
        case = await service.get_case(session=session, case_id=case_id)
        work.check(case)              # update: If-Match against what was read
        case.answer(...)              # the change, on the model
        return await shown_case(session, case, work.access)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from shared import idempotency
from shared.auth.policy import Access
from shared.auth.trail import ReadTrail, entry_of, record
from shared.db import Database, deferred_rows, utcnow
from shared.errors import FieldProblem, PreconditionRequired, StaleWrite, Text

READS = frozenset({"read", "list", "export"})


class VersionedRecord(Protocol):
    """What an ETag is made of: a shared record's id and the version it is at."""

    @property
    def id(self) -> str: ...

    @property
    def version(self) -> int: ...


def etag_of(resource_id: str, version: int) -> str:
    return f'"{resource_id}.v{version}"'


class UnitOfWorkMisused(RuntimeError):
    """A wiring bug in a route (a 500): the work it skipped would have left a record unprotected."""


class Replayed(Exception):
    """The same create came again with its Idempotency-Key: the first answer is sent again."""

    def __init__(self, replay: idempotency.Replay) -> None:
        super().__init__("replayed")
        self.replay = replay


async def _send_replay(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replayed)
    return Response(
        exc.replay.body,
        status_code=exc.replay.status_code,
        headers={**exc.replay.headers, "Idempotent-Replayed": "true"},
        media_type="application/json",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(Replayed, _send_replay)


class UnitOfWork:
    """One request's work against one service's database; see the module's text."""

    def __init__(
        self,
        *,
        request: Request,
        response: Response,
        db: Database,
        access: Access,
        audit_table: Table | None,
        idempotency_table: Table | None,
        read_trail: ReadTrail | None = None,
    ) -> None:
        self.request = request
        self.response = response
        self.db = db
        self.access = access
        self._audit_table = audit_table
        self._idempotency_table = idempotency_table
        # The service's one group commit of read entries; a unit of work alone gets its own.
        if read_trail is None and audit_table is not None:
            read_trail = ReadTrail(db, audit_table)
        self._read_trail = read_trail
        self._resource_id: str | None = None
        self._checked: VersionedRecord | None = None
        self._created: Response | None = None
        self._answer: tuple[str, dict[str, str]] = ("", {})
        self._opened = False
        self._dry_run = False

    @property
    def action(self) -> str:
        return "read" if self._dry_run else self.access.rule.action

    @property
    def _audited(self) -> bool:
        return self.access.rule.personal_data or self.action not in READS

    @asynccontextmanager
    async def transaction(self, *, dry_run: bool = False) -> AsyncIterator[AsyncSession]:
        """The use case's one transaction: it commits with its audit entry (and stored answer).

        A dry run (an import checked, not applied) is a read: audited only if the data is personal."""
        if self._opened:
            raise UnitOfWorkMisused(f"{self.access.operation}: one transaction per request")
        self._opened = True
        if dry_run:
            self._dry_run = True
        reservation = await self._reserve() if self.action == "create" and not dry_run else None
        try:
            if self.action in READS:
                # A read-only transaction: it never waits for the service's writers.
                async with self.db.reading(scope=self.access.scope) as session:
                    yield session
                    staged = deferred_rows(session)
                if self._audited:
                    await self._commit_read_entry(staged)
                return
            async with self.db.transaction(scope=self.access.scope) as session:
                yield session
                await self._finish(session, reservation)
        except BaseException:
            if reservation is not None and self._idempotency_table is not None:
                await idempotency.release(self.db, self._idempotency_table, reservation)
            raise

    # --- what a use case tells the unit of work ---------------------------------------------------

    def check(self, record: VersionedRecord) -> None:
        """An update: the If-Match sent must name the record as it was read (428 without, else 412)."""
        self._require_if_match()
        current = etag_of(record.id, record.version)
        if current not in self._offered_etags():
            raise StaleWrite(extra={"current_etag": current})
        self._checked = record
        self._resource_id = record.id

    def etag(self, record: VersionedRecord) -> None:
        """A read of a shared record: its ETag goes on the answer, for the update that may follow."""
        self.response.headers["ETag"] = etag_of(record.id, record.version)

    def concerns(self, resource_id: str | None) -> None:
        """The record the audit entry names, when it is not the last id in the path."""
        self._resource_id = resource_id

    def created(self, body: BaseModel, *, location: str, etag: str | None = None) -> Response:
        """A create's answer (201), stored with the effect for a retry with the same key."""
        payload = body.model_dump_json()
        headers = {"Location": location}
        if etag:
            headers["ETag"] = etag
        self._created = Response(payload, status_code=201, headers=headers, media_type="application/json")
        self._answer = (payload, headers)
        self._resource_id = _id_of(payload)
        return self._created

    # --- the steps -------------------------------------------------------------------------------

    def _offered_etags(self) -> list[str]:
        header = self.request.headers.get("if-match") or ""
        return [tag.strip().removeprefix("W/") for tag in header.split(",")]

    def _require_if_match(self) -> None:
        if self.request.headers.get("if-match") is None:
            raise PreconditionRequired(
                fields=[FieldProblem("If-Match", Text("必須です。", "Required."), "missing")]
            )

    async def _reserve(self) -> idempotency.Reservation | None:
        key = self.request.headers.get("idempotency-key")
        if key is None or self._idempotency_table is None:
            return None
        idempotency.check_key(key)
        caller = self.access.caller
        outcome = await idempotency.reserve(
            self.db,
            self._idempotency_table,
            scope=f"{caller.tenant_id}/{caller.organisation_id}/{caller.subject}",
            key=key,
            request_hash=idempotency.request_fingerprint(
                self.request.method, self.request.url.path, await self.request.body()
            ),
            now=utcnow(),
            lock_seconds=self.request.app.state.settings.idempotency_lock_seconds,
        )
        if isinstance(outcome, idempotency.Replay):
            # A replay hands the record out again: audited like a read of it.
            if self._audit_table is not None:
                async with self.db.transaction() as session:
                    await record(
                        session,
                        self._audit_table,
                        self.access,
                        action="replay",
                        resource_id=_id_of(outcome.body),
                    )
            raise Replayed(outcome)
        return outcome

    async def _finish(self, session: AsyncSession, reservation: idempotency.Reservation | None) -> None:
        operation = self.access.operation
        if self.action == "update":
            if self._checked is None:
                raise UnitOfWorkMisused(f"{operation}: an update must check the record it changes")
            await session.flush()  # the conditional UPDATE: a concurrent writer makes this one stale
            self.response.headers["ETag"] = etag_of(self._checked.id, self._checked.version)
        if self.action == "create":
            if self._created is None:
                raise UnitOfWorkMisused(f"{operation}: a create must answer with work.created(...)")
            if reservation is not None and self._idempotency_table is not None:
                payload, headers = self._answer
                await idempotency.complete(
                    session,
                    self._idempotency_table,
                    reservation,
                    status_code=201,
                    body=payload,
                    headers=headers,
                )
        if self._audit_table is None:
            raise UnitOfWorkMisused(f"{operation}: audited, but the service has no audit table")
        resource_id = self._resource_id if self._resource_id is not None else self._last_path_id()
        await record(session, self._audit_table, self.access, resource_id=resource_id)

    async def _commit_read_entry(self, staged: list[object]) -> None:
        if self._read_trail is None:
            raise UnitOfWorkMisused(f"{self.access.operation}: audited, but the service has no audit table")
        resource_id = self._resource_id if self._resource_id is not None else self._last_path_id()
        await self._read_trail.commit(entry_of(self.access, resource_id=resource_id), staged)

    def _last_path_id(self) -> str | None:
        # The path names what is read or changed last: /consultations/{id}/consents/{consent_id}.
        values = [str(v) for v in self.request.path_params.values()]
        return values[-1] if values else None


def _id_of(body: str) -> str | None:
    try:
        value = json.loads(body).get("id")
    except (ValueError, AttributeError):
        return None
    return str(value) if value is not None else None
