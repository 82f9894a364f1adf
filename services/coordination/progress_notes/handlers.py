"""Events in: outreach's word that contact with the person is lost, or found again.

Each becomes progress notes of the case (支援経過記録), so the suspension rule counts outreach's
attempts and the timeline shows them (see progress_notes/outreach.py). The notes are recorded
whether or not coordination knows the case yet, under the event's tenant; they never move the
case (a terminated or suspended one reopens only by an explicit act).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases.models import Case
from services.coordination.progress_notes import service
from services.coordination.progress_notes.outreach import (
    RECORDED_BY,
    OutreachNote,
    note_of_contact_resumed,
    notes_of_contact_lost,
)
from shared.events.catalog import ContactLost, ContactResumed

log = logging.getLogger(__name__)


async def _record(
    session: AsyncSession, event: ContactLost | ContactResumed, notes: list[OutreachNote]
) -> None:
    case = await session.get(Case, event.case_id)
    if case is not None and case.tenant_id != event.tenant_id:
        # Kept under the event's own tenant, where it never shows on this case.
        log.warning(
            "%s %s of tenant %s names case %s of another tenant",
            event.name,
            event.report_id,
            event.tenant_id,
            event.case_id,
        )
    await service.record_reported_notes(
        session=session,
        tenant_id=event.tenant_id,
        case_id=event.case_id,
        organisation_id=event.organisation_id,
        notes=notes,
        recorded_by=RECORDED_BY,
        recorded_at=event.reported_at,
    )


async def on_contact_lost(session: AsyncSession, event: ContactLost) -> None:
    await _record(session, event, notes_of_contact_lost(event))


async def on_contact_resumed(session: AsyncSession, event: ContactResumed) -> None:
    await _record(session, event, [note_of_contact_resumed(event)])
