"""Keeping coordination's knowledge of consents: every arrival order gives the same row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.consents.models import KnownConsent
from shared.db import Offered, upsert
from shared.events.catalog import ConsentScope

_TABLE = KnownConsent.__table__


async def note_scope(
    *,
    session: AsyncSession,
    tenant_id: str,
    consultation_id: str,
    consent_id: str,
    purposes: list[str],
    data_classes: list[str],
    organisations: list[str],
    obtained_at: datetime,
    valid_from: datetime | None,
) -> None:
    """The consent's scope (from ConsentRecorded or a referral); a withdrawal already noted stays."""
    scope = {
        "purposes": list(purposes),
        "data_classes": list(data_classes),
        "organisations": list(organisations),
        "obtained_at": obtained_at,
    }
    values = {
        "consent_id": consent_id,
        "tenant_id": tenant_id,
        "consultation_id": consultation_id,
        **scope,
        "valid_from": valid_from,
    }

    def changes(offered: Offered) -> dict[str, object]:
        merged: dict[str, object] = {name: getattr(offered, name) for name in scope}
        # A referral's scope has no valid_from: keep the one ConsentRecorded gave.
        merged["valid_from"] = func.coalesce(offered.valid_from, _TABLE.c.valid_from)
        return merged

    await session.execute(upsert(session, _TABLE, values, key=["consent_id"], changes=changes))


async def note_scope_of_referral(
    *, session: AsyncSession, tenant_id: str, consultation_id: str, scope: ConsentScope
) -> None:
    await note_scope(
        session=session,
        tenant_id=tenant_id,
        consultation_id=consultation_id,
        consent_id=scope.consent_id,
        purposes=list(scope.purposes),
        data_classes=list(scope.data_classes),
        organisations=list(scope.organisations),
        obtained_at=scope.obtained_at,
        valid_from=None,
    )


async def note_withdrawal(
    *, session: AsyncSession, tenant_id: str, consultation_id: str, consent_id: str, at: datetime
) -> None:
    """Remembered even when nothing else is known of the consent yet; the first time stands."""
    values = {
        "consent_id": consent_id,
        "tenant_id": tenant_id,
        "consultation_id": consultation_id,
        "withdrawn_at": at,
    }
    await session.execute(
        upsert(
            session,
            _TABLE,
            values,
            key=["consent_id"],
            changes=lambda offered: {
                "withdrawn_at": func.coalesce(_TABLE.c.withdrawn_at, offered.withdrawn_at)
            },
        )
    )


async def find_consent(*, session: AsyncSession, consent_id: str, lock: bool = False) -> KnownConsent | None:
    return await session.get(
        KnownConsent, consent_id, populate_existing=True, with_for_update={"read": True} if lock else None
    )
