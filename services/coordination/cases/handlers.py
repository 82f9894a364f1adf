"""Events in: referrals from intake."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.cases import service
from services.coordination.support_meetings import service as support_meetings
from shared.db import utcnow
from shared.events.catalog import CaseReferred


async def on_case_referred(session: AsyncSession, event: CaseReferred) -> None:
    now = utcnow()
    case = await service.open_case(session=session, referral=event, now=now)
    if event.support_meeting_id is not None:
        # The person consented after a support meeting (支援会議): the case grew out of that record.
        await support_meetings.link_case(
            session=session,
            tenant_id=event.tenant_id,
            support_meeting_id=event.support_meeting_id,
            case_id=case.id,
            referral_id=event.referral_id,
            now=now,
        )
