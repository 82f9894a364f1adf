"""Writing the audit trail for calls: who, tenant, organisation, roles, what, why, when, outcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import AuditRecord, append, append_many
from shared.auth.policy import Access, Rule
from shared.auth.scope import CrossTenantWrite, TenantScoped
from shared.auth.tokens import Caller
from shared.db import Database, utcnow
from shared.observability.metrics import audit_appended

log = logging.getLogger(__name__)


async def record(
    session: AsyncSession,
    table: Table,
    access: Access,
    *,
    resource_id: str | None = None,
    action: str | None = None,
    outcome: str = "allowed",
    status: int = 200,
) -> None:
    """In the use case's transaction: the entry commits with the read or the change, or not at all."""
    entry = entry_of(access, resource_id=resource_id, action=action, outcome=outcome, status=status)
    await append(session, table, entry)
    audit_appended(session, outcome)


def entry_of(
    access: Access,
    *,
    resource_id: str | None = None,
    action: str | None = None,
    outcome: str = "allowed",
    status: int = 200,
) -> AuditRecord:
    return AuditRecord(
        at=utcnow(),
        service=access.service,
        subject=access.caller.subject,
        tenant_id=access.caller.tenant_id,
        organisation_id=access.caller.organisation_id,
        roles=access.caller.roles_text(),
        action=action or access.rule.action,
        resource=access.rule.resource,
        resource_id=resource_id,
        purpose=access.purpose,
        request_id=access.request_id,
        outcome=outcome,
        status=status,
    )


@dataclass
class _Waiting:
    entry: AuditRecord
    rows: Sequence[object]  # what commits with the entry (the record of a disclosure)
    committed: asyncio.Future[None]


class ReadTrail:
    """The entries of a service's reads, committed together (group commit).

    A read's entry must commit before its answer leaves, in a write transaction of its own. One
    such transaction per read would put every reader of the service in one queue behind the others
    (on SQLite, for its one writer turn), each paying for its BEGIN and COMMIT. Here, the entries
    of the reads finishing at the same moment go in one transaction, a multi-row INSERT, and each
    read answers once the transaction holding its entry has committed. Should that transaction
    fail, each of its entries is tried again alone, so one bad entry fails its own read only.
    """

    def __init__(self, db: Database, table: Table) -> None:
        self.db = db
        self.table = table
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def commit(self, entry: AuditRecord, rows: Sequence[object] = ()) -> None:
        committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        committed.add_done_callback(_retrieved)
        self._waiting.append(_Waiting(entry, rows, committed))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name=f"read-trail-{self.table.name}")
        # Shielded: a read given up by its client leaves its entry to commit with the others.
        await asyncio.shield(committed)

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            async with self.db.transaction() as session:
                for waiting in batch:
                    # Unscoped, this session: what a read staged must be of the reader's municipality.
                    if any(
                        isinstance(row, TenantScoped) and row.tenant_id != waiting.entry.tenant_id
                        for row in waiting.rows
                    ):
                        raise CrossTenantWrite()
                    session.add_all(waiting.rows)
                await append_many(session, self.table, [w.entry for w in batch])
                for waiting in batch:
                    audit_appended(session, waiting.entry.outcome)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].committed.set_exception(exc)
                return
            log.warning(
                "%d read entries failed together (%s); each is tried alone", len(batch), type(exc).__name__
            )
            for waiting in batch:
                await self._write([waiting])
            return
        for waiting in batch:
            waiting.committed.set_result(None)


def _retrieved(future: asyncio.Future[None]) -> None:
    # A read given up by its client no longer awaits its entry: its failure is logged, not lost.
    if not future.cancelled() and future.exception() is not None:
        log.error("a read's audit entry could not be committed: %s", type(future.exception()).__name__)


async def record_refusal(
    db: Database,
    table: Table,
    *,
    service: str,
    rule: Rule,
    caller: Caller | None,
    resource_id: str | None,
    purpose: str | None,
    request_id: str | None,
    status: int,
) -> None:
    """A refused attempt, in its own transaction (the request's own work was rolled back)."""
    async with db.transaction() as session:
        await append(
            session,
            table,
            AuditRecord(
                at=utcnow(),
                service=service,
                subject=caller.subject if caller else "anonymous",
                tenant_id=caller.tenant_id if caller else None,
                organisation_id=caller.organisation_id if caller else None,
                roles=caller.roles_text() if caller else (),
                action=rule.action,
                resource=rule.resource,
                resource_id=resource_id,
                purpose=purpose,
                request_id=request_id,
                outcome="denied",
                status=status,
            ),
        )
        audit_appended(session, "denied")
