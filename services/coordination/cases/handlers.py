"""Events in: referrals from intake, consent withdrawals."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases import service
from shared.db import utcnow
from shared.events.catalog import CaseReferred, ConsentWithdrawn


async def on_case_referred(session: AsyncSession, event: CaseReferred) -> None:
    await service.open_case(session=session, referral=event, now=utcnow())


async def on_consent_withdrawn(session: AsyncSession, event: ConsentWithdrawn) -> None:
    await service.note_consent_withdrawn(
        session=session, consultation_id=event.consultation_id, at=event.withdrawn_at
    )
