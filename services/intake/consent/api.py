"""HTTP for consent records of a consultation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.access import IntakeAccess, audit, authorize
from services.intake.consent import service
from services.intake.consent.schemas import ConsentCreate, ConsentOut, ConsentWithdraw
from services.intake.consultations.service import get_consultation
from services.intake.db import audit_log, idempotency_keys
from services.intake.deps import IntakeDb
from shared.db import utcnow
from shared.writes import Created, IfMatch, create_once, etag_of, require_if_match

router = APIRouter(
    prefix="/intake/v1/consultations/{consultation_id}/consents",
    tags=["consent"],
    dependencies=[Depends(authorize)],
)


def _location(consultation_id: str, consent_id: str) -> str:
    return f"/intake/v1/consultations/{consultation_id}/consents/{consent_id}"


@router.post(
    "",
    status_code=201,
    response_model=ConsentOut,
    operation_id="recordConsent",
    summary="同意: record the person's consent to share",
)
async def record_consent(
    consultation_id: str, body: ConsentCreate, db: IntakeDb, access: IntakeAccess, request: Request
) -> Response:
    async def work(session: AsyncSession) -> Created:
        now = utcnow()
        consent = await service.record_consent(
            session=session, consultation_id=consultation_id, data=body, now=now
        )
        await audit(session, access, consent.id)
        return Created(
            service.to_out(consent, now),
            _location(consultation_id, consent.id),
            etag_of(consent.id, consent.version),
        )

    return await create_once(
        request,
        db=db,
        table=idempotency_keys,
        access=access,
        work=work,
        audit_table=audit_log,
    )


@router.get(
    "", response_model=list[ConsentOut], operation_id="listConsents", summary="Consents of a consultation"
)
async def list_consents(consultation_id: str, db: IntakeDb, access: IntakeAccess) -> list[ConsentOut]:
    now = utcnow()
    async with db.transaction(scope=access.scope) as session:
        await get_consultation(session=session, consultation_id=consultation_id)
        consents = await service.consents_of(session=session, consultation_id=consultation_id)
        await audit(session, access, consultation_id)
    return [service.to_out(c, now) for c in consents]


@router.post(
    "/{consent_id}/withdrawal",
    response_model=ConsentOut,
    operation_id="withdrawConsent",
    summary="同意の撤回: withdraw a consent; no new sharing from now on",
    description="Send `If-Match` with the consent's ETag (`etag` in the list, or the create response).",
)
async def withdraw_consent(
    consultation_id: str,
    consent_id: str,
    body: ConsentWithdraw,
    db: IntakeDb,
    access: IntakeAccess,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ConsentOut:
    now = utcnow()
    async with db.transaction(scope=access.scope) as session:
        consent = await service.find_consent(
            session=session, consultation_id=consultation_id, consent_id=consent_id
        )
        require_if_match(request, consent.id, consent.version)
        consent = await service.withdraw_consent(
            session=session, consultation_id=consultation_id, consent_id=consent_id, data=body, now=now
        )
        await audit(session, access, consent.id)
    response.headers["ETag"] = etag_of(consent.id, consent.version)
    return service.to_out(consent, now)
