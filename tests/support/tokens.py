"""Bearer tokens for tests, signed with the embedded system's own local key."""

from __future__ import annotations

from collections.abc import Iterable

from shared.auth.tokens import load_or_create_local_key, mint
from shared.settings import Settings
from tests.support.builders import OTOFUKE, RANRAN_OPERATOR

# Staff of らんらん's operator who also act as coordinator and municipal officer: lets flow tests
# cross services with one client. Access tests use single-role tokens instead.
ALL_ROUND = ("window_staff", "coordinator", "municipal_officer")


def token(
    settings: Settings,
    *roles: str,
    tenant: str = OTOFUKE,
    org: str = RANRAN_OPERATOR,
    subject: str = "staff-yamada",
    lifetime: int = 3600,
) -> str:
    key = load_or_create_local_key(settings.data_dir)
    return mint(
        key,
        subject=subject,
        tenant_id=tenant,
        organisation_id=org,
        roles=roles or ALL_ROUND,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        lifetime_seconds=lifetime,
    )


def bearer(settings: Settings, *roles: str, **claims: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, *roles, **claims)}"}


