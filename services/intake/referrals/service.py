"""Use cases of referral: refer a consultation to multi-agency collaboration, and hear the answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.consent.models import Consent
from services.intake.consent.rules import consent_for_referral
from services.intake.consent.service import consents_of
from services.intake.consultations.models import Consultation
from services.intake.consultations.service import lock_consultation
from services.intake.db import messaging
from services.intake.referrals import rules
from services.intake.referrals.models import Referral
from services.intake.referrals.rules import ReferralStatus
from services.intake.referrals.schemas import ReferralCreate
from shared.db import is_unique_violation, new_id
from shared.errors import NotFound, Text
from shared.events.catalog import (
    CaseReferred,
    ConsentScope,
    ReferredAddress,
    ReferredHouseholdMember,
    ReferredPerson,
)
from shared.messaging.outbox import emit


class ReferralNotFound(NotFound):
    slug = "referral-not-found"
    title = Text("つなぎの記録が見つかりません。", "Referral not found.")


# Built once: a statement reused is scoped and keyed for SQLAlchemy's cache once (shared.auth.scope).
_OF_CONSULTATION = (
    select(Referral)
    .where(Referral.consultation_id == bindparam("consultation_id"))
    .order_by(Referral.referred_at)
)


async def referrals_of(*, session: AsyncSession, consultation_id: str) -> list[Referral]:
    result = await session.scalars(_OF_CONSULTATION, {"consultation_id": consultation_id})
    return list(result.all())


async def refer_to_collaboration(
    *, session: AsyncSession, consultation_id: str, data: ReferralCreate, now: datetime
) -> Referral:
    """多機関協働事業へつなぐ: only with the person's consent; emits CaseReferred with what it covers.

    One open referral per consultation: the lock makes a second request wait and then see the
    first; the partial unique index (`uq_referrals_open_consultation`) holds it whatever the path.
    """
    consultation = await lock_consultation(session=session, consultation_id=consultation_id)
    consent = consent_for_referral(await consents_of(session=session, consultation_id=consultation.id), now)
    assert isinstance(consent, Consent)
    rules.check_can_refer(await referrals_of(session=session, consultation_id=consultation.id))
    referral = Referral(
        id=new_id(),
        tenant_id=consultation.tenant_id,
        organisation_id=consultation.organisation_id,
        consultation_id=consultation.id,
        consent_id=consent.id,
        window_code=consultation.window_code,
        reason=data.reason,
        support_meeting_id=data.support_meeting_id,
        status=ReferralStatus.sent.value,
        referred_at=now,
    )
    session.add(referral)
    try:
        await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise rules.AlreadyReferred() from exc
    await emit(session, messaging, case_referred(consultation, consent, referral))
    return referral


def case_referred(consultation: Consultation, consent: Consent, referral: Referral) -> CaseReferred:
    """The event carries personal data only in the classes the consent names."""
    classes = set(consent.data_classes)
    person = None
    if classes & {"identity", "contact"}:
        details = consultation.person
        address = details.get("address") if "contact" in classes else None
        person = ReferredPerson(
            name=consultation.person_name if "identity" in classes else None,
            name_kana=consultation.person_name_kana if "identity" in classes else None,
            birth_date=consultation.person_birth_date if "identity" in classes else None,
            sex=details.get("sex") if "identity" in classes else None,
            address=ReferredAddress(**address) if address else None,
            phone=(details.get("phone") or details.get("mobile_phone")) if "contact" in classes else None,
        )
    household = None
    if "household" in classes:
        household = [
            ReferredHouseholdMember(
                name=m.get("name"),
                relation=m["relation"],
                birth_date=m.get("birth_date"),
                age=m.get("age"),
                note=m.get("note"),
            )
            for m in consultation.household
        ]
    return CaseReferred(
        referral_id=referral.id,
        consultation_id=consultation.id,
        tenant_id=consultation.tenant_id,
        window_code=consultation.window_code,
        referring_organisation_id=consultation.organisation_id,
        referred_at=referral.referred_at,
        urgency=consultation.urgency,
        main_concern=consultation.main_concern if "concerns" in classes else None,
        concerns=[c["code"] for c in consultation.concerns] if "concerns" in classes else [],
        welfare_fields=consultation.welfare_fields,
        reason=referral.reason,
        consent=ConsentScope(
            consent_id=consent.id,
            purposes=consent.purposes,
            data_classes=consent.data_classes,
            organisations=consent.organisations,
            obtained_at=consent.obtained_at,
            method=consent.method,
        ),
        person=person,
        household=household,
        notes=_notes(consultation) if "notes" in classes else None,
        tax_information=consultation.tax_information if "tax" in classes else None,
        support_meeting_id=referral.support_meeting_id,
    )


def _notes(consultation: Consultation) -> str | None:
    parts = [p for p in (consultation.wishes, consultation.notes) if p]
    return "\n\n".join(parts) or None


async def get_referral(*, session: AsyncSession, referral_id: str) -> Referral:
    referral = await session.get(Referral, referral_id)
    if referral is None:
        raise ReferralNotFound()
    return referral


async def record_answer(
    *,
    session: AsyncSession,
    referral_id: str,
    status: ReferralStatus,
    at: datetime,
    reason: str | None = None,
    case_id: str | None = None,
    case_number: str | None = None,
) -> Referral:
    """Coordination answered: the window sees accepted, declined or returned (with the reason).

    The row is locked: two answers delivered side by side (a consumer rebalance) apply one after
    the other, so a later `returned` is never overwritten by an earlier `accepted`.
    """
    referral = await session.get(Referral, referral_id, with_for_update=True, populate_existing=True)
    if referral is None:
        raise ReferralNotFound()
    if status == ReferralStatus.accepted and referral.status == status and referral.case_id == case_id:
        return referral
    referral.status = rules.transition(referral.status, status).value
    referral.status_reason = reason
    referral.answered_at = at
    if case_id is not None:
        referral.case_id = case_id
        referral.case_number = case_number
    return referral
