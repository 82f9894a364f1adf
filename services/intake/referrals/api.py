"""HTTP for referrals to multi-agency collaboration."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.intake.access import authorize
from services.intake.consultations.service import get_consultation
from services.intake.deps import IntakeWork
from services.intake.referrals import service
from services.intake.referrals.models import Referral
from services.intake.referrals.schemas import ReferralCreate, ReferralOut
from shared.db import utcnow

router = APIRouter(prefix="/intake/v1", tags=["referrals"], dependencies=[Depends(authorize)])


def _out(referral: Referral) -> ReferralOut:
    return ReferralOut.model_validate(referral, from_attributes=True)


@router.post(
    "/consultations/{consultation_id}/referrals",
    status_code=201,
    response_model=ReferralOut,
    operation_id="referToCollaboration",
    summary="多機関協働事業へつなぐ: refer to multi-agency collaboration (needs consent)",
    responses={422: {"description": "No consent: the support meeting (支援会議) is the route instead."}},
)
async def refer_to_collaboration(consultation_id: str, body: ReferralCreate, work: IntakeWork) -> Response:
    async with work.transaction() as session:
        referral = await service.refer_to_collaboration(
            session=session, consultation_id=consultation_id, data=body, now=utcnow()
        )
        return work.created(_out(referral), location=f"/intake/v1/referrals/{referral.id}")


@router.get(
    "/consultations/{consultation_id}/referrals",
    response_model=list[ReferralOut],
    operation_id="listReferralsOfConsultation",
    summary="Referrals of a consultation, with their status",
)
async def list_referrals(consultation_id: str, work: IntakeWork) -> list[ReferralOut]:
    async with work.transaction() as session:
        await get_consultation(session=session, consultation_id=consultation_id)
        referrals = await service.referrals_of(session=session, consultation_id=consultation_id)
        return [_out(r) for r in referrals]


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralOut,
    operation_id="getReferral",
    summary="A referral's status as the sending window sees it",
)
async def get_referral(referral_id: str, work: IntakeWork) -> ReferralOut:
    async with work.transaction() as session:
        referral = await service.get_referral(session=session, referral_id=referral_id)
        return _out(referral)
