"""Use cases of the district gazetteer: read it, replace it, locate an address, check a resource's areas.

Functions take the caller's session and never commit; the route owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.districts import names, rules
from services.directory.districts.models import District, DistrictAddress, Gazetteer
from services.directory.districts.schemas import (
    AddressEntryOut,
    DistrictOut,
    GazetteerIn,
    GazetteerOut,
    LocationOut,
)
from shared.errors import FieldProblem, InvalidInput, StaleWrite, Text
from shared.work import etag_of

_CACHE = "directory.gazetteer"  # session.info key: one load per unit of work (HSDS imports check many)


class InvalidArea(InvalidInput):
    slug = "invalid-area"
    title = Text(
        "対象圏域が地区台帳と合いません。", "An area does not match the municipality's district gazetteer."
    )


class InvalidGazetteer(InvalidInput):
    slug = "invalid-gazetteer"
    title = Text("地区台帳に誤りがあります。", "The district gazetteer is not valid.")


def etag_id(tenant_id: str) -> str:
    """What the gazetteer's ETag is made of, with its version: `"districts-016314.v3"`."""
    return f"districts-{tenant_id}"


async def _header(session: AsyncSession, tenant_id: str, *, lock: bool = False) -> Gazetteer | None:
    query = select(Gazetteer).where(Gazetteer.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


@dataclass
class GazetteerRevision:
    """The gazetteer as an If-Match names it: the municipality's, at a version (0: none yet)."""

    tenant_id: str
    version: int

    @property
    def id(self) -> str:
        return etag_id(self.tenant_id)


def revision_of(gazetteer: GazetteerOut) -> GazetteerRevision:
    return GazetteerRevision(gazetteer.tenant_id, gazetteer.version)


async def current_revision(*, session: AsyncSession, tenant_id: str) -> GazetteerRevision:
    """The revision an If-Match must name; locks the row for the replacing transaction."""
    header = await _header(session, tenant_id, lock=True)
    return GazetteerRevision(tenant_id, header.version if header else 0)


async def gazetteer_of(session: AsyncSession, tenant_id: str) -> rules.Gazetteer:
    """The municipality's name and districts (without the address table), as the rules take them."""
    cached = session.info.get(_CACHE)
    if isinstance(cached, tuple) and cached[0] == tenant_id:
        gazetteer: rules.Gazetteer = cached[1]
        return gazetteer
    header = await _header(session, tenant_id)
    rows = await session.scalars(
        select(District).where(District.tenant_id == tenant_id).order_by(District.position)
    )
    gazetteer = rules.Gazetteer(
        municipality=header.municipality if header else None,
        districts=tuple(rules.District(d.kind, d.name, d.reading) for d in rows.all()),
    )
    session.info[_CACHE] = (tenant_id, gazetteer)
    return gazetteer


async def read_gazetteer(*, session: AsyncSession, tenant_id: str) -> GazetteerOut:
    header = await _header(session, tenant_id)
    gazetteer = await gazetteer_of(session, tenant_id)
    lines = await session.scalars(
        select(DistrictAddress)
        .where(DistrictAddress.tenant_id == tenant_id)
        .order_by(DistrictAddress.position)
    )
    by_key = {d.key: d.name for d in gazetteer.districts}
    version = header.version if header else 0
    return GazetteerOut(
        tenant_id=tenant_id,
        municipality=gazetteer.municipality,
        version=version,
        etag=etag_of(etag_id(tenant_id), version),
        source=header.source if header else None,
        updated_at=header.updated_at if header else None,
        updated_by=header.updated_by if header else None,
        districts=[_district_out(d) for d in gazetteer.districts],
        addresses=[
            AddressEntryOut(
                town=line.town,
                chome_from=line.chome_from,
                chome_to=line.chome_to,
                partial=line.partial,
                district=by_key.get(line.district_key, line.district_key),
                note=line.note,
            )
            for line in lines.all()
        ],
    )


def _district_out(district: rules.District) -> DistrictOut:
    return DistrictOut(kind=district.kind, name=district.name, reading=district.reading)


def _as_rules(data: GazetteerIn) -> rules.Gazetteer:
    return rules.Gazetteer(
        municipality=data.municipality,
        districts=tuple(rules.District(d.kind, d.name, d.reading) for d in data.districts),
        addresses=tuple(
            rules.AddressEntry(
                town=a.town,
                district=names.district_key(a.district),
                chome_from=a.chome_from,
                chome_to=a.chome_to,
                partial=a.partial,
            )
            for a in data.addresses
        ),
    )


async def replace_gazetteer(
    *,
    session: AsyncSession,
    revision: GazetteerRevision,
    data: GazetteerIn,
    actor: str,
    now: datetime,
    source: str | None = None,
) -> GazetteerRevision:
    """Put `data` in place of the municipality's gazetteer, if it is still at the revision read (0:
    none yet); the revision moves to the new version.

    Checked here, under the row lock, not only against the version the caller read: between that
    read and this write another editor may have created or replaced it (then: 412). Two first
    gazetteers at once both find no row; the second's INSERT meets the first's key (412 too).
    """
    gazetteer = _as_rules(data)
    problems = rules.gazetteer_problems(gazetteer, [a.district for a in data.addresses])
    if problems:
        raise InvalidGazetteer(fields=problems)
    tenant_id = revision.tenant_id
    header = await _header(session, tenant_id, lock=True)
    if (header.version if header else 0) != revision.version:
        raise StaleWrite(extra={"current_etag": etag_of(etag_id(tenant_id), header.version if header else 0)})
    if header is None:
        header = Gazetteer(tenant_id=tenant_id, version=0)
        session.add(header)
    header.municipality = data.municipality
    header.version += 1
    header.source = source
    header.updated_at = now
    header.updated_by = actor
    try:
        await session.flush()
    except IntegrityError as exc:  # another editor created it first, from the same version 0
        raise StaleWrite() from exc
    await session.execute(delete(DistrictAddress).where(DistrictAddress.tenant_id == tenant_id))
    await session.execute(delete(District).where(District.tenant_id == tenant_id))
    await _insert(session, District, _district_rows(tenant_id, gazetteer))
    await _insert(session, DistrictAddress, _address_rows(tenant_id, gazetteer, data))
    session.info.pop(_CACHE, None)
    revision.version = header.version
    return revision


def _district_rows(tenant_id: str, gazetteer: rules.Gazetteer) -> list[dict[str, object]]:
    return [
        {
            "tenant_id": tenant_id,
            "key": d.key,
            "kind": d.kind,
            "name": d.name,
            "reading": d.reading,
            "position": i,
        }
        for i, d in enumerate(gazetteer.districts)
    ]


def _address_rows(tenant_id: str, gazetteer: rules.Gazetteer, data: GazetteerIn) -> list[dict[str, object]]:
    return [
        {
            "tenant_id": tenant_id,
            "town": written.town,
            "town_key": line.town_key,
            "chome_from": line.chome_from,
            "chome_to": line.chome_to,
            "partial": line.partial,
            "district_key": line.district,
            "note": written.note,
            "position": i,
        }
        for i, (line, written) in enumerate(zip(gazetteer.addresses, data.addresses, strict=True))
    ]


_BATCH = 1000


async def _insert(
    session: AsyncSession, model: type[District | DistrictAddress], rows: list[dict[str, object]]
) -> None:
    for start in range(0, len(rows), _BATCH):
        await session.execute(insert(model), rows[start : start + _BATCH])


async def locate_address(*, session: AsyncSession, tenant_id: str, address: str) -> rules.Location:
    """Which districts an address lies in: asks only for the table lines whose town could begin it."""
    gazetteer = await gazetteer_of(session, tenant_id)
    keys = names.prefixes(names.address_remainders(address, gazetteer.municipality))
    if not keys or not gazetteer.districts:
        return rules.NOWHERE
    lines = await session.scalars(
        select(DistrictAddress)
        .where(DistrictAddress.tenant_id == tenant_id, DistrictAddress.town_key.in_(sorted(keys)))
        .order_by(DistrictAddress.position)
    )
    entries = tuple(
        rules.AddressEntry(
            town=line.town,
            district=line.district_key,
            chome_from=line.chome_from,
            chome_to=line.chome_to,
            partial=line.partial,
        )
        for line in lines.all()
    )
    return rules.locate(address, rules.Gazetteer(gazetteer.municipality, gazetteer.districts, entries))


def location_out(address: str, location: rules.Location) -> LocationOut:
    return LocationOut(
        address=address,
        town=location.town,
        chome=location.chome,
        districts=[_district_out(d) for d in location.districts],
        ambiguous=location.ambiguous,
    )


async def district_keys_at(*, session: AsyncSession, tenant_id: str, address: str) -> list[str]:
    """The folded names of the districts an address may lie in (every candidate when ambiguous):
    what the resource search's `address` filter matches areas with."""
    location = await locate_address(session=session, tenant_id=tenant_id, address=address)
    return [d.key for d in location.districts]


AREA_FIELD = "areas[{index}].name"


async def check_areas(
    session: AsyncSession, tenant_id: str, areas: Sequence[rules.Area], *, field: str = AREA_FIELD
) -> None:
    """Refuse areas that do not match the gazetteer: 422 naming each `areas[i].name` (or `field`
    with the area's index, for documents that hold them elsewhere)."""
    problems = area_problems_of(await gazetteer_of(session, tenant_id), areas, field=field)
    if problems:
        raise InvalidArea(fields=problems)


def area_problems_of(
    gazetteer: rules.Gazetteer, areas: Sequence[rules.Area], *, field: str = AREA_FIELD
) -> list[FieldProblem]:
    return [
        FieldProblem(field.format(index=p.index), p.message, p.code)
        for p in rules.area_problems(areas, gazetteer)
    ]
