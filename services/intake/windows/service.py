"""Keeping intake's windows in step with the resource directory, whose events are their only source.

A directory entry of kind `window` is a window here (its resource id is the window's code); a retired
one, or one whose kind changed away from `window`, stays as an inactive window, since consultations
point at it. The stored `resource_version` makes every change idempotent and order-proof: an event
for a version we already reflect (a redelivery, a replayed dead letter) changes nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.windows.models import Window
from shared.events.catalog import ResourceChange, ResourceRetired

WINDOW_KIND = "window"  # 相談窓口 in the directory's kinds
CATCHMENT_SEPARATOR = "・"  # as the plans write several areas: 音更中学校区・駒場中学校区


async def follow_directory_entry(*, session: AsyncSession, event: ResourceChange) -> None:
    """Apply one directory change to the window it concerns (if any). Unscoped: the system acts."""
    # Locked: two deliveries of one entry's events (a rebalance) must not let an older one win.
    window = await session.get(Window, event.resource_id, with_for_update=True)
    if window is not None and window.resource_version >= event.resource_version:
        return  # what we hold is as new or newer
    is_window = event.kind == WINDOW_KIND
    if window is None:
        if not is_window:
            return  # programs and hosts are not intake's business
        # Also for a retirement seen first: the inactive row stops a late publication reviving it.
        window = Window(code=event.resource_id)
        session.add(window)
    window.resource_version = event.resource_version
    window.active = is_window and event.status == "active" and not isinstance(event, ResourceRetired)
    if not is_window:
        return  # no longer a window: closed, as it last was
    window.tenant_id = event.tenant_id
    window.name = event.resource_name
    window.field = event.field
    window.operator_id = event.organisation_id
    window.operator_name = event.organisation_name
    window.operation = event.operation
    window.phone = event.phone_number
    window.extension = event.phone_extension
    window.catchment = CATCHMENT_SEPARATOR.join(event.catchment_areas) or None
