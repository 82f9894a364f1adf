"""Events in: the directory's entries name their operators."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.organisations import service
from shared.events.catalog import AnyResourceChange, current_resource_change


async def on_resource_changed(session: AsyncSession, event: AnyResourceChange) -> None:
    """Version 2 (`organisation_id`), or version 1 (`organization_id`) from a directory not yet
    upgraded: both name the operator."""
    change = current_resource_change(event)
    # A retired entry does not end its operator: the organisation stays known.
    if change.organisation_id is None:
        return
    await service.note_organisation(
        session=session,
        organisation_id=change.organisation_id,
        tenant_id=change.tenant_id,
        name=change.organisation_name,
        at=change.changed_at,
        kind=change.organisation_kind,
    )
