"""HTTP for the resource directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.access import DirectoryAccess, audit, authorize
from services.directory.db import audit_log, idempotency_keys
from services.directory.deps import DirectoryDb
from services.directory.hsds.exchange import resource_from_hsds, to_hsds
from services.directory.hsds.model import HsdsDocument
from services.directory.reference.format import ServiceKind, WelfareField
from services.directory.resources import service
from services.directory.resources.models import Organization, Resource
from services.directory.resources.schemas import (
    OrganizationIn,
    OrganizationOut,
    ResourceIn,
    ResourceOut,
    ResourceVersionOut,
)
from shared.db import utcnow
from shared.errors import FieldProblem, InvalidInput, Text
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from shared.writes import Created, create_once, etag_of, require_if_match

router = APIRouter(prefix="/directory/v1", tags=["directory"], dependencies=[Depends(authorize)])


@router.get(
    "/resources",
    response_model=Page[ResourceOut],
    operation_id="searchResources",
    summary="社会資源の検索: by name or reading (any kana, any width), field, legal item, area",
)
async def search_resources(
    db: DirectoryDb,
    access: DirectoryAccess,
    q: Annotated[
        str | None, Query(max_length=100, description="name or reading, e.g. 介護, らんらん, ﾁｲｷﾎｳｶﾂ")
    ] = None,
    kind: ServiceKind | None = None,
    field: WelfareField | None = None,
    legal_item: Annotated[str | None, Query(pattern=r"^[1-5][イロハニホ]?$")] = None,
    area: Annotated[str | None, Query(max_length=100, description="district, e.g. 音更中学校区")] = None,
    organization_id: Annotated[str | None, Query(max_length=100)] = None,
    include_retired: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ResourceOut]:
    filters = service.SearchFilters(
        q=q,
        kind=kind,
        field=field,
        legal_item=legal_item,
        area=area,
        organization_id=organization_id,
        include_retired=include_retired,
    )
    async with db.reading(scope=access.scope) as session:
        rows, next_cursor = await service.search_resources(
            session=session, tenant_id=access.caller.tenant_id, filters=filters, cursor=cursor, limit=limit
        )
        names = await service.organization_names(session, rows)
    return Page(items=[service.to_out(r, names) for r in rows], next_cursor=next_cursor)


@router.get(
    "/resources/{resource_id}", response_model=ResourceOut, operation_id="getResource", summary="One resource"
)
async def get_resource(
    resource_id: str, db: DirectoryDb, access: DirectoryAccess, response: Response
) -> ResourceOut:
    async with db.reading(scope=access.scope) as session:
        resource = await service.get_resource(session=session, resource_id=resource_id)
        names = await service.organization_names(session, [resource])
    response.headers["ETag"] = etag_of(resource.id, resource.version)
    return service.to_out(resource, names)


@router.get(
    "/resources/{resource_id}/history",
    response_model=list[ResourceVersionOut],
    operation_id="getResourceHistory",
    summary="Every version of a resource, who changed it and when",
)
async def get_history(resource_id: str, db: DirectoryDb, access: DirectoryAccess) -> list[ResourceVersionOut]:
    async with db.reading(scope=access.scope) as session:
        return [
            ResourceVersionOut.model_validate(v)
            for v in await service.history(session=session, resource_id=resource_id)
        ]


@router.post(
    "/resources",
    status_code=201,
    response_model=ResourceOut,
    operation_id="publishResource",
    summary="Publish a window, program or host (emits ResourcePublished)",
)
async def publish_resource(
    body: ResourceIn, db: DirectoryDb, access: DirectoryAccess, request: Request
) -> Response:
    async def work(session: AsyncSession) -> Created:
        resource = await service.publish_resource(
            session=session,
            tenant_id=access.caller.tenant_id,
            data=body,
            actor=access.caller.subject,
            now=utcnow(),
        )
        await audit(session, access, resource.id)
        names = await service.organization_names(session, [resource])
        out = service.to_out(resource, names)
        return Created(out, f"/directory/v1/resources/{resource.id}", out.etag)

    return await create_once(
        request, db=db, table=idempotency_keys, access=access, work=work, audit_table=audit_log
    )


@router.put(
    "/resources/{resource_id}",
    response_model=ResourceOut,
    operation_id="updateResource",
    summary="Replace a resource's data; needs If-Match (emits ResourceUpdated)",
)
async def update_resource(
    resource_id: str,
    body: ResourceIn,
    db: DirectoryDb,
    access: DirectoryAccess,
    request: Request,
    response: Response,
) -> ResourceOut:
    async with db.transaction(scope=access.scope) as session:
        resource = await service.get_resource(session=session, resource_id=resource_id)
        require_if_match(request, resource.id, resource.version)
        resource = await service.update_resource(
            session=session, resource=resource, data=body, actor=access.caller.subject, now=utcnow()
        )
        await audit(session, access, resource.id)
        names = await service.organization_names(session, [resource])
    response.headers["ETag"] = etag_of(resource.id, resource.version)
    return service.to_out(resource, names)


@router.post(
    "/resources/{resource_id}/retirement",
    response_model=ResourceOut,
    operation_id="retireResource",
    summary="Retire a resource (closed or no longer offered); needs If-Match (emits ResourceRetired)",
)
async def retire_resource(
    resource_id: str, db: DirectoryDb, access: DirectoryAccess, request: Request, response: Response
) -> ResourceOut:
    async with db.transaction(scope=access.scope) as session:
        resource = await service.get_resource(session=session, resource_id=resource_id)
        require_if_match(request, resource.id, resource.version)
        resource = await service.retire_resource(
            session=session, resource=resource, actor=access.caller.subject, now=utcnow()
        )
        await audit(session, access, resource.id)
        names = await service.organization_names(session, [resource])
    response.headers["ETag"] = etag_of(resource.id, resource.version)
    return service.to_out(resource, names)


@router.get(
    "/organizations",
    response_model=list[OrganizationOut],
    operation_id="listOrganizations",
    summary="実施機関の一覧",
)
async def list_organizations(db: DirectoryDb, access: DirectoryAccess) -> list[OrganizationOut]:
    async with db.reading(scope=access.scope) as session:
        rows = await session.scalars(select(Organization).order_by(Organization.id))
        return [OrganizationOut.model_validate(o) for o in rows.all()]


@router.post(
    "/organizations",
    status_code=201,
    response_model=OrganizationOut,
    operation_id="recordOrganization",
    summary="Add an operator (実施機関); its id is '<tenant>-<key>'",
)
async def record_organization(
    body: OrganizationIn, db: DirectoryDb, access: DirectoryAccess, request: Request
) -> Response:
    async def work(session: AsyncSession) -> Created:
        organization = await service.record_organization(
            session=session, tenant_id=access.caller.tenant_id, data=body, now=utcnow()
        )
        await audit(session, access, organization.id)
        return Created(
            OrganizationOut.model_validate(organization), f"/directory/v1/organizations/{organization.id}"
        )

    return await create_once(
        request, db=db, table=idempotency_keys, access=access, work=work, audit_table=audit_log
    )


@router.get(
    "/hsds",
    response_model=HsdsDocument,
    operation_id="exportHsds",
    summary="The municipality's directory as an Open Referral HSDS 3.0 document",
)
async def export_hsds(db: DirectoryDb, access: DirectoryAccess) -> HsdsDocument:
    async with db.reading(scope=access.scope) as session:
        organizations = list((await session.scalars(select(Organization).order_by(Organization.id))).all())
        resources = list((await session.scalars(select(Resource).order_by(Resource.id))).all())
    return to_hsds(access.caller.tenant_id, organizations, resources)


class HsdsImportResult(BaseModel):
    organizations_created: int
    created: int
    updated: int
    unchanged: int


@router.post(
    "/hsds",
    response_model=HsdsImportResult,
    operation_id="importHsds",
    summary="Import an HSDS 3.0 document (all or nothing): creates or updates by id",
)
async def import_hsds(body: HsdsDocument, db: DirectoryDb, access: DirectoryAccess) -> HsdsImportResult:
    if body.tenant_id != access.caller.tenant_id:
        raise InvalidInput(
            fields=[
                FieldProblem(
                    "tenant_id",
                    Text("自分の自治体のデータだけを取り込めます。", "Only your own municipality's data."),
                    "other_tenant",
                )
            ]
        )
    now = utcnow()
    result = HsdsImportResult(organizations_created=0, created=0, updated=0, unchanged=0)
    async with db.transaction(scope=access.scope) as session:
        for org in body.organizations:
            if await session.get(Organization, org.id) is None:
                session.add(
                    Organization(
                        id=org.id,
                        tenant_id=body.tenant_id,
                        name=org.name,
                        name_kana=org.alternate_name,
                        kind=org.x_jusou_kind,
                        created_at=now,
                    )
                )
                result.organizations_created += 1
        await session.flush()
        for entry in body.services:
            data = resource_from_hsds(entry)
            existing = await session.get(Resource, entry.id)
            if existing is None:
                await service.publish_resource(
                    session=session,
                    tenant_id=body.tenant_id,
                    data=data,
                    actor=access.caller.subject,
                    now=now,
                    resource_id=entry.id,
                )
                result.created += 1
            elif service.differs(existing, data):
                await service.update_resource(
                    session=session, resource=existing, data=data, actor=access.caller.subject, now=now
                )
                result.updated += 1
            else:
                result.unchanged += 1
        await audit(session, access)
    return result
