"""Use cases of consent: record it, withdraw it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.consent import rules
from services.intake.consent.models import Consent
from services.intake.consent.schemas import ConsentCreate, ConsentOut, ConsentWithdraw
from services.intake.consultations.rules import CLOCK_SKEW
from services.intake.consultations.service import lock_consultation
from services.intake.db import messaging
from shared.db import new_id
from shared.errors import FieldProblem, InvalidInput, NotFound, Text
from shared.events.catalog import ConsentRecorded, ConsentWithdrawn
from shared.messaging.outbox import emit, emit_many
from shared.work import etag_of


class ConsentNotFound(NotFound):
    slug = "consent-not-found"
    title = Text("同意の記録が見つかりません。", "Consent not found.")


async def record_consent(
    *, session: AsyncSession, consultation_id: str, data: ConsentCreate, now: datetime
) -> Consent:
    consultation = await lock_consultation(session=session, consultation_id=consultation_id)
    if data.obtained_at > now + CLOCK_SKEW:
        raise InvalidInput(
            fields=[
                FieldProblem(
                    "obtained_at",
                    Text("同意取得日時が未来になっています。", "Consent cannot be obtained in the future."),
                    "in_future",
                )
            ]
        )
    consent = Consent(
        id=new_id(),
        tenant_id=consultation.tenant_id,
        organisation_id=consultation.organisation_id,
        consultation_id=consultation.id,
        purposes=list(data.purposes),
        data_classes=list(data.data_classes),
        organisations=list(data.organisations),
        obtained_at=data.obtained_at,
        method=data.method.value,
        obtained_by=data.obtained_by,
        explained=data.explained,
        valid_from=data.valid_from or data.obtained_at,
        withdrawn_at=None,
        withdrawal_reason=None,
        recorded_at=now,
        version=1,
    )
    session.add(consent)
    await session.flush()
    await emit(session, messaging, consent_recorded(consent))
    return consent


async def consents_of(*, session: AsyncSession, consultation_id: str) -> list[Consent]:
    result = await session.scalars(
        select(Consent).where(Consent.consultation_id == consultation_id).order_by(Consent.recorded_at)
    )
    return list(result.all())


async def find_consent(*, session: AsyncSession, consultation_id: str, consent_id: str) -> Consent:
    consent = await session.get(Consent, consent_id)
    if consent is None or consent.consultation_id != consultation_id:
        raise ConsentNotFound()
    return consent


async def withdraw_consent(
    *, session: AsyncSession, consent: Consent, data: ConsentWithdraw, now: datetime
) -> Consent:
    """同意の撤回: stops new sharing at once; the other services hear it as ConsentWithdrawn."""
    # The consultation's lock orders this withdrawal's event after its referrals' (one partition key).
    await lock_consultation(session=session, consultation_id=consent.consultation_id)
    consent.withdraw(at=data.withdrawn_at or now, reason=data.reason, now=now)
    await session.flush()  # the conditional UPDATE: a concurrent withdrawal makes this one stale
    await emit(
        session,
        messaging,
        ConsentWithdrawn(
            consent_id=consent.id,
            consultation_id=consent.consultation_id,
            tenant_id=consent.tenant_id,
            withdrawn_at=consent.withdrawn_at,
        ),
    )
    return consent


def to_out(consent: Consent, now: datetime) -> ConsentOut:
    return ConsentOut(
        id=consent.id,
        consultation_id=consent.consultation_id,
        purposes=consent.purposes,
        data_classes=consent.data_classes,
        organisations=consent.organisations,
        obtained_at=consent.obtained_at,
        method=consent.method,
        obtained_by=consent.obtained_by,
        explained=consent.explained,
        valid_from=consent.valid_from,
        withdrawn_at=consent.withdrawn_at,
        withdrawal_reason=consent.withdrawal_reason,
        active=rules.is_active(consent, now),
        etag=etag_of(consent.id, consent.version),
    )


async def announce_every_consent(*, session: AsyncSession) -> int:
    """Tell the other services every consent as it stands (ConsentRecorded, then ConsentWithdrawn
    for a withdrawn one), for read models that began after the consents did (coordination's, say).
    Both are idempotent at the receiver, so announcing twice changes nothing."""
    events: list[ConsentRecorded | ConsentWithdrawn] = []
    for consent in (await session.scalars(select(Consent).order_by(Consent.recorded_at))).all():
        events.append(consent_recorded(consent))
        if consent.withdrawn_at is not None:
            events.append(
                ConsentWithdrawn(
                    consent_id=consent.id,
                    consultation_id=consent.consultation_id,
                    tenant_id=consent.tenant_id,
                    withdrawn_at=consent.withdrawn_at,
                )
            )
    await emit_many(session, messaging, events)
    return len(events)


def consent_recorded(consent: Consent) -> ConsentRecorded:
    """The consent's scope as other services hear of it: no personal data (not who obtained it)."""
    return ConsentRecorded(
        consent_id=consent.id,
        consultation_id=consent.consultation_id,
        tenant_id=consent.tenant_id,
        organisation_id=consent.organisation_id,
        purposes=consent.purposes,
        data_classes=consent.data_classes,
        organisations=consent.organisations,
        obtained_at=consent.obtained_at,
        valid_from=consent.valid_from,
        method=consent.method,
    )
