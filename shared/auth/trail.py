"""Writing the audit trail for calls: who, tenant, organisation, roles, what, why, when, outcome."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import AuditRecord, append
from shared.auth.policy import Access, Rule
from shared.auth.tokens import Caller
from shared.db import Database, utcnow
from shared.observability.metrics import audit_appended


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
    await append(
        session,
        table,
        AuditRecord(
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
        ),
    )
    audit_appended(session, outcome)


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
