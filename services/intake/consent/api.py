"""HTTP for consent records of a consultation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from services.intake.access import authorize
from services.intake.consent import service
from services.intake.consent.schemas import ConsentCreate, ConsentOut, ConsentWithdraw
from services.intake.consultations.service import get_consultation
from services.intake.deps import IntakeWork
from shared.db import utcnow
from shared.work import etag_of

router = APIRouter(
    prefix="/intake/v1/consultations/{consultation_id}/consents",
    tags=["consent"],
    dependencies=[Depends(authorize)],
)


@router.post(
    "",
    status_code=201,
    response_model=ConsentOut,
    operation_id="recordConsent",
    summary="同意: record the person's consent to share",
)
async def record_consent(consultation_id: str, body: ConsentCreate, work: IntakeWork) -> Response:
    now = utcnow()
    async with work.transaction() as session:
        consent = await service.record_consent(
            session=session, consultation_id=consultation_id, data=body, now=now
        )
        return work.created(
            service.to_out(consent, now),
            location=f"/intake/v1/consultations/{consultation_id}/consents/{consent.id}",
            etag=etag_of(consent.id, consent.version),
        )


@router.get(
    "", response_model=list[ConsentOut], operation_id="listConsents", summary="Consents of a consultation"
)
async def list_consents(consultation_id: str, work: IntakeWork) -> list[ConsentOut]:
    now = utcnow()
    async with work.transaction() as session:
        await get_consultation(session=session, consultation_id=consultation_id)
        consents = await service.consents_of(session=session, consultation_id=consultation_id)
    return [service.to_out(c, now) for c in consents]


@router.post(
    "/{consent_id}/withdrawal",
    response_model=ConsentOut,
    operation_id="withdrawConsent",
    summary="同意の撤回: withdraw a consent; no new sharing from now on",
    description="Send `If-Match` with the consent's ETag (`etag` in the list, or the create response).",
)
async def withdraw_consent(
    consultation_id: str, consent_id: str, body: ConsentWithdraw, work: IntakeWork
) -> ConsentOut:
    now = utcnow()
    async with work.transaction() as session:
        consent = await service.find_consent(
            session=session, consultation_id=consultation_id, consent_id=consent_id
        )
        work.check(consent)
        await service.withdraw_consent(session=session, consent=consent, data=body, now=now)
    return service.to_out(consent, now)
