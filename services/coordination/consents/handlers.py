"""Events in: consents recorded and withdrawn at the windows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases import service as cases
from services.coordination.consents import service
from shared.events.catalog import ConsentRecorded, ConsentWithdrawn


async def on_consent_recorded(session: AsyncSession, event: ConsentRecorded) -> None:
    await service.note_scope(
        session=session,
        tenant_id=event.tenant_id,
        consultation_id=event.consultation_id,
        consent_id=event.consent_id,
        purposes=list(event.purposes),
        data_classes=list(event.data_classes),
        organisations=list(event.organisations),
        obtained_at=event.obtained_at,
        valid_from=event.valid_from,
    )


async def on_consent_withdrawn(session: AsyncSession, event: ConsentWithdrawn) -> None:
    # Remembered first, so a case opened later under this consent starts withdrawn.
    await service.note_withdrawal(
        session=session,
        tenant_id=event.tenant_id,
        consultation_id=event.consultation_id,
        consent_id=event.consent_id,
        at=event.withdrawn_at,
    )
    await cases.note_consent_withdrawn(session=session, consent_id=event.consent_id, at=event.withdrawn_at)
