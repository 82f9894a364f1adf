"""Use cases of the directory: publish, update, retire, search, and load the reference files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, false, insert, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.db import messaging
from services.directory.districts import service as districts
from services.directory.resources import postings, text_search
from services.directory.resources import schedules as opening_hours
from services.directory.resources.models import (
    Organisation,
    Resource,
    ResourceArea,
    ResourceOpening,
    ResourcePosting,
    ResourceVersion,
)
from services.directory.resources.schemas import OrganisationIn, ResourceIn, ResourceOut, ScheduleIn
from services.directory.resources.sql import through_no_index
from shared.db import new_id
from shared.errors import Conflict, FieldProblem, InvalidInput, NotFound, Text
from shared.events.catalog import ResourcePublished, ResourceRetired, ResourceUpdated
from shared.messaging.outbox import emit, emit_many
from shared.pagination import Ordering, SortKey, keyset_page
from shared.text import fold
from shared.work import etag_of

ResourceEvent = ResourcePublished | ResourceUpdated | ResourceRetired
EVENTS: dict[str, type[ResourceEvent]] = {
    "published": ResourcePublished,
    "updated": ResourceUpdated,
    "retired": ResourceRetired,
}


class ResourceNotFound(NotFound):
    slug = "resource-not-found"
    title = Text("社会資源が見つかりません。", "Resource not found.")


class ResourceRetiredAlready(Conflict):
    slug = "resource-retired"
    title = Text("この社会資源は既に廃止されています。", "This resource is already retired.")


class UnknownOrganisation(InvalidInput):
    slug = "unknown-organisation"
    title = Text("登録されていない実施機関です。", "Unknown organisation.")


async def _organisation(session: AsyncSession, organisation_id: str | None) -> Organisation | None:
    if organisation_id is None:
        return None
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise UnknownOrganisation(
            fields=[
                FieldProblem(
                    "organisation_id",
                    Text("この自治体の実施機関ではありません。", "Not an organisation of this municipality."),
                    "unknown_organisation",
                )
            ]
        )
    return organisation


def _apply(resource: Resource, data: ResourceIn, organisation: Organisation | None) -> None:
    resource.organisation_id = organisation.id if organisation else None
    for name in (
        "name",
        "name_kana",
        "kind",
        "field",
        "legal_item",
        "operation",
        "responsible_section",
        "program",
        "description",
        "address",
        "postal_code",
        "schedule",
    ):
        setattr(resource, name, getattr(data, name))
    resource.phones = [p.model_dump() for p in data.phones]
    resource.areas = [a.model_dump() for a in data.areas]
    resource.schedules = [s.model_dump(mode="json") for s in data.schedules]
    resource.accepts = data.accepts.model_dump()
    text = entry_text(data, organisation)
    resource.search_name, resource.search_reading, resource.search_text = text.name, text.reading, text.other
    resource.sort_key = postings.sort_key(data.name_kana)


def entry_text(data: ResourceIn, organisation: Organisation | None) -> postings.EntryText:
    """What search finds an entry by: its name, its reading, and every other text it has."""
    return postings.EntryText.of(
        data.name,
        data.name_kana,
        [
            data.description,
            data.program,
            organisation.name if organisation else None,
            organisation.name_kana if organisation else None,
            data.responsible_section,
            data.address,
            data.schedule,
            postings.FIELD_WORDS[data.field],
            *(a.name for a in data.areas),
            *data.accepts.conditions,
            *data.accepts.accessibility,
        ],
    )


def _posting_rows(resource: Resource) -> list[dict[str, Any]]:
    text = postings.EntryText(resource.search_name, resource.search_reading, resource.search_text)
    return [
        {
            "tenant_id": resource.tenant_id,
            "gram": gram,
            "part": int(part),
            "sort_key": resource.sort_key,
            "resource_id": resource.id,
        }
        for gram, part in sorted(postings.postings(text).items())
    ]


async def _index(session: AsyncSession, resource: Resource) -> None:
    await session.execute(delete(ResourcePosting).where(ResourcePosting.resource_id == resource.id))
    await session.execute(delete(ResourceArea).where(ResourceArea.resource_id == resource.id))
    await session.execute(delete(ResourceOpening).where(ResourceOpening.resource_id == resource.id))
    if resource.status != "active":
        return
    session.add_all(ResourceOpening(**row) for row in _opening_rows(resource))
    rows = _posting_rows(resource)
    for start in range(0, len(rows), BULK_BATCH):
        await session.execute(insert(ResourcePosting.__table__), rows[start : start + BULK_BATCH])
    session.add_all(
        ResourceArea(
            tenant_id=resource.tenant_id,
            resource_id=resource.id,
            kind=a["kind"],
            name=fold(a["name"]),
        )
        for a in {a["name"]: a for a in resource.areas}.values()
    )


async def _record(session: AsyncSession, resource: Resource, change: str, actor: str, now: datetime) -> None:
    session.add(
        ResourceVersion(
            resource_id=resource.id,
            version=resource.version,
            tenant_id=resource.tenant_id,
            change=change,
            snapshot=snapshot(resource),
            changed_by=actor,
            changed_at=now,
        )
    )
    # The session already holds the organisation (the use case just loaded it): no extra query.
    organisation = (
        await session.get(Organisation, resource.organisation_id) if resource.organisation_id else None
    )
    await emit(session, messaging, _resource_event(change, resource, organisation, now))


def _resource_event(
    change: str, resource: Resource, organisation: Organisation | None, now: datetime
) -> ResourceEvent:
    """What other services keep of an entry in their read models (facilities: no personal data)."""
    voice = next((p for p in resource.phones if p.get("type", "voice") == "voice"), None)
    return EVENTS[change](
        resource_id=resource.id,
        tenant_id=resource.tenant_id,
        resource_name=resource.name,
        kind=resource.kind,
        field=resource.field,
        legal_item=resource.legal_item,
        organisation_id=resource.organisation_id,
        status=resource.status,
        resource_version=resource.version,
        changed_at=now,
        organisation_name=organisation.name if organisation else None,
        operation=resource.operation,
        phone_number=voice["number"] if voice else None,
        phone_extension=voice.get("extension") if voice else None,
        catchment_areas=[a["name"] for a in resource.areas],
        organisation_kind=organisation.kind if organisation else None,
    )


def _opening_rows(resource: Resource) -> list[dict[str, Any]]:
    return [
        {"tenant_id": resource.tenant_id, "resource_id": resource.id, **o.as_row()}
        for stored in resource.schedules
        for o in opening_hours.openings(ScheduleIn.model_validate(stored))
    ]


# (attribute, column) of every column of an entry: the attribute is what Python and the API say
# (`organisation_id`), the column what the table has always called it (`organization_id`).
_COLUMNS = [(a.key, a.columns[0].key) for a in inspect(Resource).column_attrs]


def snapshot(resource: Resource) -> dict[str, Any]:
    """The entry as a history version keeps it, by attribute name."""
    skip = {"search_name", "search_reading", "search_text", "sort_key"}
    return {key: _jsonable(getattr(resource, key)) for key, _ in _COLUMNS if key not in skip}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def publish_resource(
    *,
    session: AsyncSession,
    tenant_id: str,
    data: ResourceIn,
    actor: str,
    now: datetime,
    resource_id: str | None = None,
    source: str | None = None,
) -> Resource:
    organisation = await _organisation(session, data.organisation_id)
    await districts.check_areas(session, tenant_id, data.areas)
    resource = Resource(
        id=resource_id or new_id(),
        tenant_id=tenant_id,
        status="active",
        version=1,
        created_at=now,
        updated_at=now,
        updated_by=actor,
        source=source,
    )
    _apply(resource, data, organisation)
    session.add(resource)
    await session.flush()
    await _index(session, resource)
    await _record(session, resource, "published", actor, now)
    return resource


async def check_entry(session: AsyncSession, tenant_id: str, data: ResourceIn) -> None:
    """What publishing `data` would refuse, before anything is written: an organisation the
    municipality does not have, areas its gazetteer does not name."""
    await _organisation(session, data.organisation_id)
    await districts.check_areas(session, tenant_id, data.areas)


async def publish_many(
    *,
    session: AsyncSession,
    tenant_id: str,
    items: list[ResourceIn],
    actor: str,
    now: datetime,
    ids: list[str] | None = None,
    sources: list[str | None] | None = None,
) -> int:
    """Bulk publish (CSV import, the reference data): the same rows, postings, history and events as
    `publish_resource`, written with a handful of multi-row statements instead of several statements
    per entry. `ids` and `sources`, when given, are each item's, as `publish_resource` takes them."""
    ids_of = ids if ids is not None else [new_id() for _ in items]
    sources_of = sources if sources is not None else [None] * len(items)
    org_ids = {i.organisation_id for i in items if i.organisation_id}
    organisations = (
        {
            o.id: o
            for o in (await session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))).all()
        }
        if org_ids
        else {}
    )
    resources: list[dict[str, Any]] = []
    posted: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = []
    openings: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    events: list[ResourceEvent] = []
    for data, resource_id, source in zip(items, ids_of, sources_of, strict=True):
        organisation = organisations.get(data.organisation_id or "")
        if data.organisation_id and organisation is None:
            await _organisation(session, data.organisation_id)  # raises the usual problem
        await districts.check_areas(session, tenant_id, data.areas)  # the gazetteer is loaded once
        resource = Resource(
            id=resource_id,
            tenant_id=tenant_id,
            status="active",
            version=1,
            created_at=now,
            updated_at=now,
            updated_by=actor,
            source=source,
        )
        _apply(resource, data, organisation)
        row = {column: getattr(resource, key) for key, column in _COLUMNS}
        resources.append(row)
        posted.extend(_posting_rows(resource))
        areas.extend(
            {
                "tenant_id": tenant_id,
                "resource_id": resource.id,
                "kind": a["kind"],
                "name": fold(a["name"]),
            }
            for a in {a["name"]: a for a in resource.areas}.values()
        )
        openings.extend(_opening_rows(resource))
        versions.append(
            {
                "resource_id": resource.id,
                "version": 1,
                "tenant_id": tenant_id,
                "change": "published",
                "snapshot": snapshot(resource),
                "changed_by": actor,
                "changed_at": now,
            }
        )
        events.append(_resource_event("published", resource, organisation, now))
    for table, rows in (
        (Resource.__table__, resources),
        (ResourcePosting.__table__, posted),
        (ResourceArea.__table__, areas),
        (ResourceOpening.__table__, openings),
        (ResourceVersion.__table__, versions),
    ):
        for start in range(0, len(rows), BULK_BATCH):
            await session.execute(insert(table), rows[start : start + BULK_BATCH])
    await emit_many(session, messaging, events)
    return len(resources)


BULK_BATCH = 2000


async def get_resource(*, session: AsyncSession, resource_id: str) -> Resource:
    resource = await session.get(Resource, resource_id)
    if resource is None:
        raise ResourceNotFound()
    return resource


def differs(resource: Resource, data: ResourceIn) -> bool:
    """Whether applying `data` would change what the resource says (imports skip no-op updates)."""
    current = snapshot(resource)
    wanted = data.model_dump(mode="json")
    return any(current.get(k) != v for k, v in wanted.items())


async def update_resource(
    *, session: AsyncSession, resource: Resource, data: ResourceIn, actor: str, now: datetime
) -> Resource:
    if resource.status != "active":
        raise ResourceRetiredAlready()
    await districts.check_areas(session, resource.tenant_id, data.areas)
    _apply(resource, data, await _organisation(session, data.organisation_id))
    resource.updated_at = now
    resource.updated_by = actor
    await session.flush()
    await _index(session, resource)
    await _record(session, resource, "updated", actor, now)
    return resource


async def retire_resource(
    *, session: AsyncSession, resource: Resource, actor: str, now: datetime
) -> Resource:
    if resource.status != "active":
        raise ResourceRetiredAlready()
    resource.status = "retired"
    resource.updated_at = now
    resource.updated_by = actor
    await session.flush()
    await _index(session, resource)
    await _record(session, resource, "retired", actor, now)
    return resource


async def history(*, session: AsyncSession, resource_id: str) -> list[ResourceVersion]:
    await get_resource(session=session, resource_id=resource_id)
    rows = await session.scalars(
        select(ResourceVersion)
        .where(ResourceVersion.resource_id == resource_id)
        .order_by(ResourceVersion.version)
    )
    return list(rows.all())


@dataclass(frozen=True)
class SearchFilters:
    q: str | None = None
    kind: str | None = None
    field: str | None = None
    legal_item: str | None = None
    area: str | None = None
    # 住所: places covering the districts the address lies in (every candidate when ambiguous).
    address: str | None = None
    organisation_id: str | None = None
    include_retired: bool = False
    # 開所: open on this day (Japan time), and at this time of it when given.
    open_on: date | None = None
    open_at: time | None = None


async def search_resources(
    *, session: AsyncSession, tenant_id: str, filters: SearchFilters, cursor: str | None, limit: int
) -> tuple[list[Resource], str | None]:
    """With a query: ranked (whole name, name prefix, name or reading, other text), then by reading
    (`text_search`). Without one: by reading. Both page by a keyset cursor."""
    conditions = await _filter_conditions(session, tenant_id, filters)
    # An empty or blank query is no text filter: the list by the other filters.
    query = postings.folded_query(filters.q) if filters.q else None
    if query is not None:
        # Only active entries are posted: a retired one is found by the other filters only.
        return await text_search.search(
            session, tenant_id=tenant_id, query=query, conditions=conditions, cursor=cursor, limit=limit
        )
    if not filters.include_retired:
        conditions.append(Resource.status == "active")
    return await keyset_page(
        session, select(Resource).where(*conditions), BY_READING, cursor=cursor, limit=limit
    )


async def _filter_conditions(session: AsyncSession, tenant_id: str, filters: SearchFilters) -> list[Any]:
    conditions: list[Any] = []
    for column, value in (
        (Resource.kind, filters.kind),
        (Resource.field, filters.field),
        (Resource.legal_item, filters.legal_item),
        (Resource.organisation_id, filters.organisation_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.area is not None:
        conditions.append(_covers(tenant_id, fold(filters.area)))
    if filters.address is not None:
        keys = await districts.district_keys_at(session=session, tenant_id=tenant_id, address=filters.address)
        conditions.append(_covers(tenant_id, *keys))
    if filters.open_on is not None:
        conditions.append(_open(tenant_id, filters.open_on, filters.open_at))
    return conditions


# Keyset: the cursor carries the last entry's reading and id. Every key is NOT NULL, the id unique,
# so entries with the same reading are still in one order across pages.
BY_READING = Ordering("resources", SortKey(Resource.name_kana, str), SortKey(Resource.id, str))


def _covers(tenant_id: str, *areas: str) -> Any:
    """Places covering one of the districts: named for it (or a part of it), or covering the whole
    municipality (with no districts given, only those)."""
    # Asked of each entry as the list is walked in its order (a lookup of the entry's areas), not a
    # list of every covering place built first.
    named = (or_(ResourceArea.name == a, ResourceArea.name.startswith(a, autoescape=True)) for a in areas)
    return (
        select(ResourceArea.resource_id)
        .where(
            ResourceArea.resource_id == through_no_index(Resource.id),
            ResourceArea.tenant_id == tenant_id,
            or_(
                ResourceArea.kind == "municipality",
                *named,
            ),
        )
        .exists()
    )


def _open(tenant_id: str, day: date, at: time | None) -> Any:
    """The SQL form of `schedules.opening_covers_day` (and `_time`): some opening rule of the
    resource covers the day (and the time). Entries without structured schedules never match:
    that they are open is not known."""
    facts = opening_hours.day_facts(day)
    o = ResourceOpening
    weekly = (o.weekday == facts.weekday) & or_(
        o.nth.is_(None), o.nth == facts.nth, (o.nth == opening_hours.LAST) if facts.last_week else false()
    )
    monthly = or_(o.month_day == day.day, (o.month_day == opening_hours.LAST) if facts.last_day else false())
    rule = [
        o.tenant_id == tenant_id,
        or_(weekly, monthly),
        or_(o.valid_from.is_(None), o.valid_from <= day),
        or_(o.valid_to.is_(None), o.valid_to >= day),
    ]
    if facts.closure:
        rule.append(o.closed_on_holidays.is_(False))
    if at is not None:
        hhmm = at.strftime("%H:%M")
        rule.append(or_(o.opens_at.is_(None), o.opens_at <= hhmm))
        rule.append(or_(o.closes_at.is_(None), o.closes_at > hhmm))
    # Asked of each entry as the list is walked (a lookup of its rules), as `_covers` is.
    return select(o.id).where(o.resource_id == through_no_index(Resource.id), *rule).exists()


async def record_organisation(
    *, session: AsyncSession, tenant_id: str, data: OrganisationIn, now: datetime
) -> Organisation:
    organisation_id = f"{tenant_id}-{data.key}"
    if await session.get(Organisation, organisation_id) is not None:
        raise Conflict(Text("同じキーの実施機関が既にあります。", "An organisation with this key exists."))
    organisation = Organisation(
        id=organisation_id,
        tenant_id=tenant_id,
        name=data.name,
        name_kana=data.name_kana,
        kind=data.kind,
        created_at=now,
    )
    session.add(organisation)
    await session.flush()
    return organisation


def to_out(resource: Resource, organisation_names: dict[str, str]) -> ResourceOut:
    return ResourceOut(
        **{
            k: v for k, v in snapshot(resource).items() if k in ResourceOut.model_fields and k != "updated_at"
        },
        updated_at=resource.updated_at,
        organisation_name=organisation_names.get(resource.organisation_id or ""),
        etag=etag_of(resource.id, resource.version),
    )


async def organisation_names(session: AsyncSession, resources: list[Resource]) -> dict[str, str]:
    ids = {r.organisation_id for r in resources if r.organisation_id}
    if not ids:
        return {}
    rows = await session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return dict(rows.all())


async def announce_every_entry(*, session: AsyncSession, now: datetime) -> int:
    """Tell the other services every entry as it stands (ResourceUpdated at its current version),
    for read models that began after the entries did (coordination's operators, say). Readers ignore
    a version they already hold, so announcing twice changes nothing."""
    organisations = {o.id: o for o in (await session.scalars(select(Organisation))).all()}
    resources = (await session.scalars(select(Resource).order_by(Resource.tenant_id, Resource.id))).all()
    events = [
        _resource_event(
            "retired" if r.status != "active" else "updated",
            r,
            organisations.get(r.organisation_id) if r.organisation_id else None,
            now,
        )
        for r in resources
    ]
    await emit_many(session, messaging, events)
    return len(events)
