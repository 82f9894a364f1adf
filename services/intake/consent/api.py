"""HTTP for consent records of a consultation."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.intake.consent import service
from services.intake.consent.schemas import ConsentCreate, ConsentOut, ConsentWithdraw
from services.intake.consultations.service import get_consultation
from services.intake.deps import IntakeDb
from shared.db import utcnow

router = APIRouter(prefix="/intake/v1/consultations/{consultation_id}/consents", tags=["consent"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentOut,
    operation_id="recordConsent",
    summary="同意: record the person's consent to share",
)
async def record_consent(
    consultation_id: str, body: ConsentCreate, db: IntakeDb, response: Response
) -> ConsentOut:
    now = utcnow()
    async with db.transaction() as session:
        consent = await service.record_consent(
            session=session, consultation_id=consultation_id, data=body, now=now
        )
    response.headers["Location"] = f"/intake/v1/consultations/{consultation_id}/consents/{consent.id}"
    return service.to_out(consent, now)


@router.get(
    "", response_model=list[ConsentOut], operation_id="listConsents", summary="Consents of a consultation"
)
async def list_consents(consultation_id: str, db: IntakeDb) -> list[ConsentOut]:
    now = utcnow()
    async with db.reading() as session:
        await get_consultation(session=session, consultation_id=consultation_id)
        consents = await service.consents_of(session=session, consultation_id=consultation_id)
    return [service.to_out(c, now) for c in consents]


@router.post(
    "/{consent_id}/withdrawal",
    response_model=ConsentOut,
    operation_id="withdrawConsent",
    summary="同意の撤回: withdraw a consent; no new sharing from now on",
)
async def withdraw_consent(
    consultation_id: str, consent_id: str, body: ConsentWithdraw, db: IntakeDb
) -> ConsentOut:
    now = utcnow()
    async with db.transaction() as session:
        consent = await service.withdraw_consent(
            session=session, consultation_id=consultation_id, consent_id=consent_id, data=body, now=now
        )
    return service.to_out(consent, now)
