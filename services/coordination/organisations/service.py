"""Keeping coordination's list of organisations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.organisations.models import KnownOrganisation
from shared.db import upsert

_TABLE = KnownOrganisation.__table__


async def note_organisation(
    *,
    session: AsyncSession,
    organisation_id: str,
    tenant_id: str,
    name: str | None,
    at: datetime,
    kind: str | None = None,
) -> None:
    """Idempotent, and a name (or kind) only ever improves (an event without one keeps the known)."""
    await session.execute(
        upsert(
            session,
            _TABLE,
            {"id": organisation_id, "tenant_id": tenant_id, "name": name, "kind": kind, "noted_at": at},
            key=["id"],
            # Events of different entries arrive in any order: only a newer one renames.
            changes=lambda offered: {
                "name": case(
                    (offered.noted_at >= _TABLE.c.noted_at, func.coalesce(offered.name, _TABLE.c.name)),
                    else_=func.coalesce(_TABLE.c.name, offered.name),
                ),
                "kind": case(
                    (offered.noted_at >= _TABLE.c.noted_at, func.coalesce(offered.kind, _TABLE.c.kind)),
                    else_=func.coalesce(_TABLE.c.kind, offered.kind),
                ),
                "noted_at": case(
                    (offered.noted_at > _TABLE.c.noted_at, offered.noted_at), else_=_TABLE.c.noted_at
                ),
            },
        )
    )


async def tenants_of(*, session: AsyncSession, organisation_ids: Sequence[str]) -> dict[str, str]:
    """Organisation id → its municipality, for the ids that are known."""
    rows = await session.execute(
        select(KnownOrganisation.id, KnownOrganisation.tenant_id).where(
            KnownOrganisation.id.in_(list(organisation_ids))
        )
    )
    return {row.id: row.tenant_id for row in rows}


async def municipality_of(*, session: AsyncSession, tenant_id: str) -> str | None:
    """The municipality's own organisation (the directory's kind "municipality"), if known."""
    found = await session.scalars(
        select(KnownOrganisation.id)
        .where(KnownOrganisation.tenant_id == tenant_id, KnownOrganisation.kind == "municipality")
        .order_by(KnownOrganisation.id)
        .limit(1)
    )
    return found.first()
