"""Coordination's answers to our referrals, arriving as events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.referrals.rules import ReferralStatus
from services.intake.referrals.service import record_answer
from shared.events.catalog import CaseOpened, ReferralDeclined, ReferralReturned


async def on_case_opened(session: AsyncSession, event: CaseOpened) -> None:
    await record_answer(
        session=session,
        referral_id=event.referral_id,
        status=ReferralStatus.accepted,
        at=event.opened_at,
        case_id=event.case_id,
        case_number=event.case_number,
    )


async def on_referral_declined(session: AsyncSession, event: ReferralDeclined) -> None:
    await record_answer(
        session=session,
        referral_id=event.referral_id,
        status=ReferralStatus.declined,
        at=event.answered_at,
        reason=event.reason,
    )


async def on_referral_returned(session: AsyncSession, event: ReferralReturned) -> None:
    await record_answer(
        session=session,
        referral_id=event.referral_id,
        status=ReferralStatus.returned,
        at=event.answered_at,
        reason=event.reason,
    )
