"""The resource directory's changes to its entries, arriving as events: intake's windows follow them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.windows.service import follow_directory_entry
from shared.events.catalog import ResourcePublished, ResourceRetired, ResourceUpdated


async def on_resource_published(session: AsyncSession, event: ResourcePublished) -> None:
    await follow_directory_entry(session=session, event=event)


async def on_resource_updated(session: AsyncSession, event: ResourceUpdated) -> None:
    await follow_directory_entry(session=session, event=event)


async def on_resource_retired(session: AsyncSession, event: ResourceRetired) -> None:
    await follow_directory_entry(session=session, event=event)
