"""Events in: the directory's entries name their operators."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.organisations import service
from shared.events.catalog import ResourcePublished, ResourceRetired, ResourceUpdated


async def on_resource_changed(
    session: AsyncSession, event: ResourcePublished | ResourceUpdated | ResourceRetired
) -> None:
    # A retired entry does not end its operator: the organisation stays known.
    if event.organization_id is None:
        return
    await service.note_organisation(
        session=session,
        organisation_id=event.organization_id,
        tenant_id=event.tenant_id,
        name=event.organization_name,
        at=event.changed_at,
    )
