"""Use cases of the directory's bulk exchanges: the 社会資源一覧 CSV kept in Excel, and HSDS 3.1
documents from partner systems. Each applies all of a file or none of it, in the caller's one
transaction; every problem is found before the first write."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi.exceptions import RequestValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.districts import service as districts
from services.directory.hsds.exchange import plan_import as plan_hsds_import
from services.directory.hsds.model import HsdsDocument
from services.directory.resources import csv_exchange, service
from services.directory.resources.csv_exchange import ImportPlan, ParsedCsv
from services.directory.resources.models import Organisation, Resource
from services.directory.resources.schemas import ResourceIn
from shared.errors import FieldProblem, InvalidInput, Text


class CsvImportRefused(InvalidInput):
    slug = "csv-import-refused"
    title = Text(
        "CSV に誤りがあるため、何も取り込んでいません。",
        "The CSV has errors; nothing was imported.",
    )


@dataclass(frozen=True)
class Imported:
    created: int
    updated: int
    unchanged: int
    organisations_created: int = 0


# --- 社会資源一覧 CSV ---------------------------------------------------------------------------


async def check_csv(*, session: AsyncSession, parsed: ParsedCsv, tenant_id: str) -> ImportPlan:
    """A dry run: what the file would do, and every problem by row and column; writes nothing."""
    return await _plan_csv(session, parsed, tenant_id, lock=False)


async def import_csv(
    *, session: AsyncSession, parsed: ParsedCsv, tenant_id: str, actor: str, now: datetime
) -> Imported:
    """Apply the file, or (with any problem) nothing: CsvImportRefused lists each problem."""
    plan = await _plan_csv(session, parsed, tenant_id, lock=True)
    if plan.problems:
        raise CsvImportRefused(
            Text(
                f"{len(plan.problems)} 件の誤りを直してから、もう一度取り込んでください。",
                f"Fix the {len(plan.problems)} problems listed, then import again.",
            ),
            fields=[
                FieldProblem(f"line {p.line}: {p.field}", Text(p.reason_ja, p.reason_en), p.code)
                for p in plan.problems
            ],
            extra={"rows": parsed.read, "valid": plan.valid},
        )
    await service.publish_many(
        session=session, tenant_id=tenant_id, items=[data for _, data in plan.creates], actor=actor, now=now
    )
    for _, resource, data in plan.updates:
        await service.update_resource(session=session, resource=resource, data=data, actor=actor, now=now)
    return Imported(created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged)


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def _plan_csv(session: AsyncSession, parsed: ParsedCsv, tenant_id: str, *, lock: bool) -> ImportPlan:
    """Load what the rows refer to (scoped to the caller's municipality), then reconcile."""
    ids = sorted({rid for _, rid, _ in parsed.rows if rid is not None})
    organisation_ids = sorted({d.organisation_id for _, _, d in parsed.rows if d.organisation_id})
    new_names = sorted({d.name for _, rid, d in parsed.rows if rid is None})
    existing: dict[str, Resource] = {}
    for chunk in _chunks(ids):
        query = select(Resource).where(Resource.id.in_(chunk))
        if lock:
            query = query.with_for_update()
        existing.update((r.id, r) for r in (await session.scalars(query)).all())
    organisations: set[str] = set()
    for chunk in _chunks(organisation_ids):
        found = await session.scalars(select(Organisation.id).where(Organisation.id.in_(chunk)))
        organisations.update(found.all())
    named: dict[str, str] = {}
    for chunk in _chunks(new_names):
        rows = await session.execute(
            select(Resource.name, Resource.id).where(Resource.status == "active", Resource.name.in_(chunk))
        )
        named.update((name, resource_id) for name, resource_id in rows.all())
    return csv_exchange.plan_import(
        parsed,
        existing=existing,
        organisations=organisations,
        named=named,
        gazetteer=await districts.gazetteer_of(session, tenant_id),
    )


# --- HSDS 3.1 ------------------------------------------------------------------------------------


async def import_hsds(
    *, session: AsyncSession, document: HsdsDocument, tenant_id: str, actor: str, now: datetime
) -> Imported:
    """Create or update by id; a problem anywhere answers 422 naming its path, before any write."""
    if document.tenant_id != tenant_id:
        raise InvalidInput(
            fields=[
                FieldProblem(
                    "tenant_id",
                    Text("自分の自治体のデータだけを取り込めます。", "Only your own municipality's data."),
                    "other_tenant",
                )
            ]
        )
    plan = plan_hsds_import(document, (await session.scalars(select(Organisation.id))).all())
    if plan.errors:
        raise RequestValidationError(plan.errors)
    await _check_areas(session, tenant_id, plan.services)
    organisations_created = 0
    for org in plan.organizations:
        if await session.get(Organisation, org.id) is None:
            session.add(
                Organisation(
                    id=org.id,
                    tenant_id=tenant_id,
                    name=org.name,
                    name_kana=org.name_kana,
                    kind=org.kind,
                    created_at=now,
                )
            )
            organisations_created += 1
    await session.flush()
    created = updated = unchanged = 0
    for resource_id, data in plan.services:
        existing = await session.get(Resource, resource_id)
        if existing is None:
            await service.publish_resource(
                session=session, tenant_id=tenant_id, data=data, actor=actor, now=now, resource_id=resource_id
            )
            created += 1
        elif service.differs(existing, data):
            await service.update_resource(session=session, resource=existing, data=data, actor=actor, now=now)
            updated += 1
        else:
            unchanged += 1
    return Imported(
        created=created, updated=updated, unchanged=unchanged, organisations_created=organisations_created
    )


async def _check_areas(session: AsyncSession, tenant_id: str, services: list[tuple[str, ResourceIn]]) -> None:
    """Every service's areas against the gazetteer, before any write: one problem list for the file."""
    gazetteer = await districts.gazetteer_of(session, tenant_id)
    problems = [
        problem
        for i, (_, data) in enumerate(services)
        for problem in districts.area_problems_of(
            gazetteer, data.areas, field=f"services[{i}].service_areas[{{index}}].name"
        )
    ]
    if problems:
        raise districts.InvalidArea(fields=problems)
