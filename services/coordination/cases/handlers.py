"""Events in: referrals from intake."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases import service
from shared.db import utcnow
from shared.events.catalog import CaseReferred


async def on_case_referred(session: AsyncSession, event: CaseReferred) -> None:
    await service.open_case(session=session, referral=event, now=utcnow())
