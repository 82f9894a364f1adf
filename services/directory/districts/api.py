"""HTTP for the district gazetteer (地区・学区の台帳) of the caller's municipality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.directory.access import DirectoryAccess, audit, authorize
from services.directory.deps import DirectoryDb
from services.directory.districts import service
from services.directory.districts.names import MAX_ADDRESS_LENGTH
from services.directory.districts.schemas import GazetteerIn, GazetteerOut, LocationOut
from shared.db import utcnow
from shared.writes import IfMatch, require_if_match

router = APIRouter(prefix="/directory/v1", tags=["directory"], dependencies=[Depends(authorize)])


@router.get(
    "/districts",
    response_model=GazetteerOut,
    operation_id="listDistricts",
    summary="地区・学区の台帳: the municipality's districts and which town lies in which",
)
async def list_districts(db: DirectoryDb, access: DirectoryAccess, response: Response) -> GazetteerOut:
    async with db.reading(scope=access.scope) as session:
        gazetteer = await service.read_gazetteer(session=session, tenant_id=access.caller.tenant_id)
    response.headers["ETag"] = gazetteer.etag
    return gazetteer


@router.get(
    "/districts/lookup",
    response_model=LocationOut,
    operation_id="lookupDistricts",
    summary="Which districts an address lies in (e.g. 柏寿台1-5, 北海道河東郡音更町柏寿台一丁目)",
)
async def lookup_districts(
    db: DirectoryDb,
    access: DirectoryAccess,
    address: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_ADDRESS_LENGTH,
            description="an address, with or without 都道府県・市町村",
        ),
    ],
) -> LocationOut:
    async with db.reading(scope=access.scope) as session:
        location = await service.locate_address(
            session=session, tenant_id=access.caller.tenant_id, address=address
        )
    return service.location_out(address, location)


@router.put(
    "/districts",
    response_model=GazetteerOut,
    operation_id="replaceDistricts",
    summary="Replace the municipality's gazetteer as a whole; needs If-Match (the ETag of GET /districts)",
)
async def replace_districts(
    body: GazetteerIn,
    db: DirectoryDb,
    access: DirectoryAccess,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> GazetteerOut:
    tenant_id = access.caller.tenant_id
    async with db.transaction(scope=access.scope) as session:
        version = await service.current_version(session=session, tenant_id=tenant_id)
        require_if_match(request, service.etag_id(tenant_id), version)
        await service.replace_gazetteer(
            session=session,
            tenant_id=tenant_id,
            data=body,
            actor=access.caller.subject,
            now=utcnow(),
            expected_version=version,
        )
        await audit(session, access, service.etag_id(tenant_id))
        gazetteer = await service.read_gazetteer(session=session, tenant_id=tenant_id)
    response.headers["ETag"] = gazetteer.etag
    return gazetteer
