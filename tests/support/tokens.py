"""Bearer tokens for tests.

Embedded mode verifies with the system's own local key, so tests sign with that key too. Distributed
mode verifies with an identity provider's public key (JWT_PUBLIC_KEY_FILE); `identity_provider_key`
makes such a provider for a test: a fresh EC P-256 pair whose private half lies next to the public
PEM, where `token` finds it. Either way `bearer(settings)` signs what the settings' services accept.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.auth.tokens import load_or_create_local_key, mint
from shared.settings import Settings
from tests.support.builders import OTOFUKE, RANRAN_OPERATOR

# Staff of らんらん's operator who also act as coordinator and municipal officer: lets flow tests
# cross services with one client. Access tests use single-role tokens instead.
ALL_ROUND = ("window_staff", "coordinator", "municipal_officer")

# The identity provider's key pair of a distributed test (see identity_provider_key).
PUBLIC_KEY_NAME = "idp-public-key.pem"
PRIVATE_KEY_NAME = "idp-private-key.pem"


def identity_provider_key(directory: Path) -> Path:
    """A new EC P-256 key pair in `directory`; returns the public key's PEM (JWT_PUBLIC_KEY_FILE)."""
    directory.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    (directory / PRIVATE_KEY_NAME).write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public_file = directory / PUBLIC_KEY_NAME
    public_file.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public_file


def signing_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    """The private key whose tokens the services built from `settings` accept."""
    if settings.jwt_public_key_file is None:
        return load_or_create_local_key(settings.data_dir)
    public_file = settings.jwt_public_key_file
    private_file = public_file.with_name(PRIVATE_KEY_NAME)
    assert private_file.exists(), f"{public_file} was not made by identity_provider_key: no private key"
    private = serialization.load_pem_private_key(private_file.read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_pem == public_file.read_bytes(), f"{private_file} does not match {public_file}"
    return private


def token(
    settings: Settings,
    *roles: str,
    tenant: str = OTOFUKE,
    org: str = RANRAN_OPERATOR,
    subject: str = "staff-yamada",
    lifetime: int = 3600,
) -> str:
    return mint(
        signing_key(settings),
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
