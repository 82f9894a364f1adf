"""The resource directory's changes to its entries, arriving as events: intake's windows follow them.

Each comes in version 2 (`organisation_id`) or, from a directory not yet upgraded, version 1
(`organization_id`); both are read as version 2."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.windows.service import follow_directory_entry
from shared.events.catalog import AnyResourceChange, current_resource_change


async def on_resource_changed(session: AsyncSession, event: AnyResourceChange) -> None:
    await follow_directory_entry(session=session, event=current_resource_change(event))
