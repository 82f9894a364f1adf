"""HTTP for the resource directory."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from services.directory.access import authorize
from services.directory.deps import DirectoryWork
from services.directory.districts.names import MAX_ADDRESS_LENGTH
from services.directory.hsds.exchange import read_document, to_hsds
from services.directory.hsds.model import HsdsDocument
from services.directory.reference.format import ServiceKind, WelfareField
from services.directory.resources import imports, schedules, service
from services.directory.resources.models import Organisation, Resource
from services.directory.resources.schemas import (
    OrganisationIn,
    OrganisationOut,
    ResourceIn,
    ResourceOut,
    ResourceVersionOut,
)
from shared.db import utcnow
from shared.errors import FieldProblem, InvalidInput, Text
from shared.pagination import DEFAULT_LIMIT, CursorParam, LimitParam, Page

router = APIRouter(prefix="/directory/v1", tags=["directory"], dependencies=[Depends(authorize)])


@router.get(
    "/resources",
    response_model=Page[ResourceOut],
    operation_id="searchResources",
    summary="社会資源の検索: by name, reading or description (any kana, any width), field, legal item, area",
    description=(
        "Ranked: the whole name, a name prefix, the name or reading, then the other text (description, "
        "program, operator, section, address, field words, areas); within a rank by reading, then id. "
        "Pages by a keyset cursor (`next_cursor`), never by an offset."
    ),
)
async def search_resources(
    work: DirectoryWork,
    q: Annotated[
        str | None,
        Query(
            max_length=100, description="words of the name, reading or description, e.g. 介護, らんらん, B型"
        ),
    ] = None,
    kind: ServiceKind | None = None,
    field: WelfareField | None = None,
    legal_item: Annotated[str | None, Query(pattern=r"^[1-5][イロハニホ]?$")] = None,
    area: Annotated[str | None, Query(max_length=100, description="district, e.g. 音更中学校区")] = None,
    address: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_ADDRESS_LENGTH,
            description="an address, e.g. 柏寿台1-5: places covering its districts (see /districts/lookup)",
        ),
    ] = None,
    organisation_id: Annotated[str | None, Query(max_length=100)] = None,
    include_retired: bool = False,
    open_on: Annotated[
        date | None, Query(description="open on this day (Japan time), e.g. 2026-12-02")
    ] = None,
    open_at: Annotated[
        time | None, Query(description="and at this time of it (Japan time), e.g. 10:00; today if no open_on")
    ] = None,
    open_now: Annotated[bool, Query(description="open at this moment in Japan")] = False,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Page[ResourceOut]:
    if open_now and (open_on is not None or open_at is not None):
        raise InvalidInput(
            fields=[
                FieldProblem(
                    "open_now",
                    Text(
                        "open_now と open_on・open_at は同時に指定できません。",
                        "Use open_now or open_on/open_at.",
                    ),
                    "conflicting_filters",
                )
            ]
        )
    if open_now or open_at is not None:
        now = schedules.to_local(utcnow())
        open_on = now.date() if open_on is None else open_on
        open_at = now.time() if open_at is None else open_at
    filters = service.SearchFilters(
        q=q,
        kind=kind,
        field=field,
        legal_item=legal_item,
        area=area,
        address=address,
        organisation_id=organisation_id,
        include_retired=include_retired,
        open_on=open_on,
        open_at=open_at,
    )
    async with work.transaction() as session:
        rows, next_cursor = await service.search_resources(
            session=session,
            tenant_id=work.access.caller.tenant_id,
            filters=filters,
            cursor=cursor,
            limit=limit,
        )
        names = await service.organisation_names(session, rows)
    return Page(items=[service.to_out(r, names) for r in rows], next_cursor=next_cursor)


@router.get(
    "/resources/{resource_id}", response_model=ResourceOut, operation_id="getResource", summary="One resource"
)
async def get_resource(resource_id: str, work: DirectoryWork) -> ResourceOut:
    async with work.transaction() as session:
        resource = await service.get_resource(session=session, resource_id=resource_id)
        work.etag(resource)
        names = await service.organisation_names(session, [resource])
    return service.to_out(resource, names)


@router.get(
    "/resources/{resource_id}/history",
    response_model=list[ResourceVersionOut],
    operation_id="getResourceHistory",
    summary="Every version of a resource, who changed it and when",
)
async def get_history(resource_id: str, work: DirectoryWork) -> list[ResourceVersionOut]:
    async with work.transaction() as session:
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
async def publish_resource(body: ResourceIn, work: DirectoryWork) -> Response:
    caller = work.access.caller
    async with work.transaction() as session:
        resource = await service.publish_resource(
            session=session, tenant_id=caller.tenant_id, data=body, actor=caller.subject, now=utcnow()
        )
        out = service.to_out(resource, await service.organisation_names(session, [resource]))
        return work.created(out, location=f"/directory/v1/resources/{resource.id}", etag=out.etag)


@router.put(
    "/resources/{resource_id}",
    response_model=ResourceOut,
    operation_id="updateResource",
    summary="Replace a resource's data; needs If-Match (emits ResourceUpdated)",
)
async def update_resource(resource_id: str, body: ResourceIn, work: DirectoryWork) -> ResourceOut:
    async with work.transaction() as session:
        resource = await service.get_resource(session=session, resource_id=resource_id)
        work.check(resource)
        await service.update_resource(
            session=session, resource=resource, data=body, actor=work.access.caller.subject, now=utcnow()
        )
        return service.to_out(resource, await service.organisation_names(session, [resource]))


@router.post(
    "/resources/{resource_id}/retirement",
    response_model=ResourceOut,
    operation_id="retireResource",
    summary="Retire a resource (closed or no longer offered); needs If-Match (emits ResourceRetired)",
)
async def retire_resource(resource_id: str, work: DirectoryWork) -> ResourceOut:
    async with work.transaction() as session:
        resource = await service.get_resource(session=session, resource_id=resource_id)
        work.check(resource)
        await service.retire_resource(
            session=session, resource=resource, actor=work.access.caller.subject, now=utcnow()
        )
        return service.to_out(resource, await service.organisation_names(session, [resource]))


@router.get(
    "/organisations",
    response_model=list[OrganisationOut],
    operation_id="listOrganisations",
    summary="実施機関の一覧",
)
async def list_organisations(work: DirectoryWork) -> list[OrganisationOut]:
    async with work.transaction() as session:
        rows = await session.scalars(select(Organisation).order_by(Organisation.id))
        return [OrganisationOut.model_validate(o) for o in rows.all()]


@router.post(
    "/organisations",
    status_code=201,
    response_model=OrganisationOut,
    operation_id="recordOrganisation",
    summary="Add an operator (実施機関); its id is '<tenant>-<key>'",
)
async def record_organisation(body: OrganisationIn, work: DirectoryWork) -> Response:
    async with work.transaction() as session:
        organisation = await service.record_organisation(
            session=session, tenant_id=work.access.caller.tenant_id, data=body, now=utcnow()
        )
        return work.created(
            OrganisationOut.model_validate(organisation),
            location=f"/directory/v1/organisations/{organisation.id}",
        )


@router.get(
    "/hsds",
    response_model=HsdsDocument,
    response_model_exclude_none=True,  # HSDS types its optional fields; null is not one of them
    operation_id="exportHsds",
    summary="The municipality's directory as an Open Referral HSDS 3.1 document",
    description=(
        "Valid against the official HSDS 3.1 schema (see services/directory/hsds/schema.py): UUID ids "
        "(ours in `x_jusou.id`), schedules as RFC 5545 rules in Japan time (+09:00, timezone 9)."
    ),
)
async def export_hsds(work: DirectoryWork) -> HsdsDocument:
    async with work.transaction() as session:
        organisations = list((await session.scalars(select(Organisation).order_by(Organisation.id))).all())
        resources = list((await session.scalars(select(Resource).order_by(Resource.id))).all())
    return to_hsds(work.access.caller.tenant_id, organisations, resources)


class HsdsImportResult(BaseModel):
    organisations_created: int
    created: int
    updated: int
    unchanged: int


@router.post(
    "/hsds",
    response_model=HsdsImportResult,
    operation_id="importHsds",
    summary="Import an HSDS 3.1 document (all or nothing): creates or updates by id",
    description=(
        "The document is checked against the official HSDS 3.1 constraints first, then read as the "
        "directory's entries; any problem answers 422 naming each path (`services[2].schedules[0].freq`) "
        "and nothing is written."
    ),
    # Read by hand: the official schema is checked before our models see the document.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HsdsDocument"}}},
        }
    },
)
async def import_hsds(request: Request, work: DirectoryWork) -> HsdsImportResult:
    document = read_document(await request.body())
    caller = work.access.caller
    async with work.transaction() as session:
        done = await imports.import_hsds(
            session=session, document=document, tenant_id=caller.tenant_id, actor=caller.subject, now=utcnow()
        )
    return HsdsImportResult(
        organisations_created=done.organisations_created,
        created=done.created,
        updated=done.updated,
        unchanged=done.unchanged,
    )
