"""Loads the reference files into the directory: the demo data a new embedded instance starts with.

Idempotent: entries already present (by their stable ids '<tenant>-<key>') are left as they are, so
an editor's changes survive restarts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.reference.format import ReferenceFile, ReferenceService
from services.directory.resources import service
from services.directory.resources.models import Organisation, Resource
from services.directory.resources.schemas import ResourceIn
from shared.db import utcnow
from shared.errors import DomainError
from shared.settings import Settings

REFERENCE_DIR = Path(__file__).parent
LOADER = "reference-loader"
log = logging.getLogger(__name__)


def reference_files() -> list[ReferenceFile]:
    return [
        ReferenceFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(REFERENCE_DIR.glob("[0-9][0-9][0-9][0-9][0-9][0-9].json"))
    ]


def resource_in(tenant_id: str, entry: ReferenceService) -> ResourceIn:
    return ResourceIn.model_validate(
        {
            "name": entry.name,
            "name_kana": entry.name_kana,
            "kind": entry.kind,
            "field": entry.field,
            "legal_item": entry.legal_item,
            "organisation_id": f"{tenant_id}-{entry.organization}" if entry.organization else None,
            "operation": entry.operation,
            "responsible_section": entry.responsible_section,
            "program": entry.program,
            "description": entry.description,
            "address": entry.address,
            "postal_code": entry.postal_code,
            "phones": [p.model_dump() for p in entry.phones],
            "areas": [a.model_dump() for a in entry.areas],
            "schedule": entry.schedule,
            "schedules": entry.schedules,
        }
    )


async def load_reference(session: AsyncSession, settings: Settings) -> None:
    if not settings.loads_demo_data:
        return
    now = utcnow()
    for file in reference_files():
        known_orgs = set(
            (
                await session.scalars(select(Organisation.id).where(Organisation.tenant_id == file.tenant_id))
            ).all()
        )
        for org in file.organizations:
            org_id = f"{file.tenant_id}-{org.key}"
            if org_id not in known_orgs:
                session.add(
                    Organisation(
                        id=org_id,
                        tenant_id=file.tenant_id,
                        name=org.name,
                        name_kana=org.name_kana,
                        kind=org.kind,
                        created_at=now,
                    )
                )
        await session.flush()
        known = set(
            (await session.scalars(select(Resource.id).where(Resource.tenant_id == file.tenant_id))).all()
        )
        items: list[ResourceIn] = []
        ids: list[str] = []
        sources: list[str | None] = []
        for entry in file.services:
            resource_id = f"{file.tenant_id}-{entry.key}"
            if resource_id in known:
                continue
            data = resource_in(file.tenant_id, entry)
            try:
                await service.check_entry(session, file.tenant_id, data)
            except DomainError as refused:
                # The municipality's own data has moved on (e.g. its gazetteer no longer has a
                # district the plan names): demo data must not stop the service from starting.
                # The checks run before anything is written, so nothing is half loaded.
                log.warning("reference entry %s not loaded: %s", resource_id, refused.title.en)
                continue
            items.append(data)
            ids.append(resource_id)
            sources.append(entry.source)
        # The entries of a file in a few multi-row statements, not several statements each: the
        # reference data is most of what a first start of the embedded server writes.
        await service.publish_many(
            session=session,
            tenant_id=file.tenant_id,
            items=items,
            actor=LOADER,
            now=now,
            ids=ids,
            sources=sources,
        )
