"""The audit trail's own endpoints, one set per service, for the `auditor` role only."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Table
from starlette.responses import Response

from shared.audit import AuditFilters, link_all, query, to_csv, verify_chain
from shared.auth.policy import Access, Authorizer, Reach, Rule
from shared.auth.roles import Role
from shared.pagination import DEFAULT_LIMIT, CursorParam, LimitParam
from shared.work import UnitOfWork

EXPORT_LIMIT = 100_000


class AuditEntryOut(BaseModel):
    seq: int
    id: str
    at: AwareDatetime
    service: str
    subject: str
    tenant_id: str | None
    organisation_id: str | None
    roles: str  # comma-joined, sorted
    action: str
    resource: str
    resource_id: str | None
    purpose: str | None
    request_id: str | None
    outcome: str
    status: int
    # Its place in the hash chain, once the service's sequencer has linked it (within a second).
    link: int | None
    prev_hash: str | None
    hash: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = None


class ChainVerification(BaseModel):
    ok: bool
    entries: int = Field(description="Entries linked into the chain and found intact.")
    first_broken_seq: int | None
    reason: str | None
    unlinked: int = Field(default=0, description="Entries committed after the verification began linking.")


def _camel(service: str) -> str:
    return service[:1].upper() + service[1:]


def audit_rules(service: str) -> dict[str, Rule]:
    name = _camel(service)
    only_auditors = {Role.auditor: Reach.tenant}
    return {
        # Who looked at whom is itself sensitive: auditors' reads are audited like personal data.
        f"list{name}AuditEntries": Rule("audit_log", "list", only_auditors),
        f"export{name}AuditEntries": Rule("audit_log", "export", only_auditors),
        f"verify{name}AuditChain": Rule("audit_log", "verify", only_auditors),
    }


def audit_router(
    service: str, table: Table, work: Callable[..., Awaitable[UnitOfWork]], authorize: Authorizer
) -> APIRouter:
    """Auditors see their own municipality's entries; every look at them is audited too."""
    router = APIRouter(prefix=f"/{service}/v1/audit", tags=["audit"], dependencies=[Depends(authorize)])
    name = _camel(service)
    Work = Annotated[UnitOfWork, Depends(work)]

    def filters_of(
        access: Access,
        subject: str | None,
        organisation_id: str | None,
        resource: str | None,
        resource_id: str | None,
        action: str | None,
        outcome: str | None,
        at_from: AwareDatetime | None,
        at_to: AwareDatetime | None,
    ) -> AuditFilters:
        return AuditFilters(
            tenant_id=access.caller.tenant_id,
            subject=subject,
            organisation_id=organisation_id,
            resource=resource,
            resource_id=resource_id,
            action=action,
            outcome=outcome,
            at_from=at_from,
            at_to=at_to,
        )

    Filter = Annotated[str | None, Query(max_length=200)]

    @router.get(
        "", response_model=AuditPage, operation_id=f"list{name}AuditEntries", summary="監査ログの検索"
    )
    async def list_entries(
        work: Work,
        subject: Filter = None,
        organisation_id: Filter = None,
        resource: Filter = None,
        resource_id: Filter = None,
        action: Filter = None,
        outcome: Filter = None,
        at_from: AwareDatetime | None = None,
        at_to: AwareDatetime | None = None,
        cursor: CursorParam = None,
        limit: LimitParam = DEFAULT_LIMIT,
    ) -> AuditPage:
        filters = filters_of(
            work.access, subject, organisation_id, resource, resource_id, action, outcome, at_from, at_to
        )
        async with work.transaction() as session:
            rows, next_cursor = await query(session, table, filters, cursor=cursor, limit=limit)
        return AuditPage(items=[AuditEntryOut.model_validate(r) for r in rows], next_cursor=next_cursor)

    @router.get(
        "/export.csv",
        operation_id=f"export{name}AuditEntries",
        summary="監査ログの CSV 出力 (UTF-8 BOM)",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    async def export_entries(
        work: Work,
        subject: Filter = None,
        organisation_id: Filter = None,
        resource: Filter = None,
        resource_id: Filter = None,
        action: Filter = None,
        outcome: Filter = None,
        at_from: AwareDatetime | None = None,
        at_to: AwareDatetime | None = None,
    ) -> Response:
        filters = filters_of(
            work.access, subject, organisation_id, resource, resource_id, action, outcome, at_from, at_to
        )
        # Linked first, so every exported entry carries its place in the chain.
        async with work.db.transaction() as session:
            await link_all(session, table)
        async with work.transaction() as session:
            rows, _ = await query(session, table, filters, cursor=None, limit=EXPORT_LIMIT)
        return Response(
            to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{service}-audit.csv"'},
        )

    @router.get(
        "/verification",
        response_model=ChainVerification,
        operation_id=f"verify{name}AuditChain",
        summary="監査ログの改ざん検知（ハッシュチェーンの検証）",
    )
    async def verify(work: Work) -> ChainVerification:
        # Everything committed so far is linked first, so the verification covers it all.
        async with work.db.transaction() as session:
            await link_all(session, table)
        async with work.transaction() as session:
            report = await verify_chain(session, table)
        return ChainVerification(
            ok=report.ok,
            entries=report.entries,
            first_broken_seq=report.first_broken_seq,
            reason=report.reason,
            unlinked=report.unlinked,
        )

    return router
