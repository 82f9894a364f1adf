"""HTTP for the district gazetteer (地区・学区の台帳) of the caller's municipality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.directory.access import authorize
from services.directory.deps import DirectoryWork
from services.directory.districts import service
from services.directory.districts.names import MAX_ADDRESS_LENGTH
from services.directory.districts.schemas import GazetteerIn, GazetteerOut, LocationOut
from shared.db import utcnow

router = APIRouter(prefix="/directory/v1", tags=["directory"], dependencies=[Depends(authorize)])


@router.get(
    "/districts",
    response_model=GazetteerOut,
    operation_id="listDistricts",
    summary="地区・学区の台帳: the municipality's districts and which town lies in which",
)
async def list_districts(work: DirectoryWork) -> GazetteerOut:
    async with work.transaction() as session:
        gazetteer = await service.read_gazetteer(session=session, tenant_id=work.access.caller.tenant_id)
        work.etag(service.revision_of(gazetteer))
    return gazetteer


@router.get(
    "/districts/lookup",
    response_model=LocationOut,
    operation_id="lookupDistricts",
    summary="Which districts an address lies in (e.g. 柏寿台1-5, 北海道河東郡音更町柏寿台一丁目)",
)
async def lookup_districts(
    work: DirectoryWork,
    address: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_ADDRESS_LENGTH,
            description="an address, with or without 都道府県・市町村",
        ),
    ],
) -> LocationOut:
    async with work.transaction() as session:
        location = await service.locate_address(
            session=session, tenant_id=work.access.caller.tenant_id, address=address
        )
    return service.location_out(address, location)


@router.put(
    "/districts",
    response_model=GazetteerOut,
    operation_id="replaceDistricts",
    summary="Replace the municipality's gazetteer as a whole; needs If-Match (the ETag of GET /districts)",
)
async def replace_districts(body: GazetteerIn, work: DirectoryWork) -> GazetteerOut:
    caller = work.access.caller
    async with work.transaction() as session:
        revision = await service.current_revision(session=session, tenant_id=caller.tenant_id)
        work.check(revision)
        await service.replace_gazetteer(
            session=session, revision=revision, data=body, actor=caller.subject, now=utcnow()
        )
        return await service.read_gazetteer(session=session, tenant_id=caller.tenant_id)
