"""Bearer tokens (JWT): verification by every service, minting for embedded mode only.

Only asymmetric algorithms are accepted, and each key only with the algorithm of its own type, so
`alg: none` and HS256-signed-with-the-public-key tokens are refused before any signature check.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.auth.roles import Role, valid_local_government_code
from shared.errors import DomainError, Text
from shared.settings import Settings

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"})
LOCAL_KEY_NAME = "local-signing-key.pem"


class Unauthenticated(DomainError):
    slug = "unauthenticated"
    status = 401
    title = Text("認証が必要です。", "Authentication is required.")
    headers: ClassVar[Mapping[str, str]] = {"WWW-Authenticate": 'Bearer realm="jusou"'}


@dataclass(frozen=True)
class Caller:
    """Who is calling: from a verified token only."""

    subject: str
    tenant_id: str
    organisation_id: str
    roles: frozenset[Role]
    token_id: str | None = None

    def roles_text(self) -> tuple[str, ...]:
        return tuple(sorted(r.value for r in self.roles))


@dataclass(frozen=True)
class _Key:
    key: Any
    algorithms: tuple[str, ...]
    kid: str | None = None


def _algorithms_for(key: Any, allowed: Iterable[str]) -> tuple[str, ...]:
    if isinstance(key, rsa.RSAPublicKey):
        own = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
    elif isinstance(key, ec.EllipticCurvePublicKey):
        own = {"ES256", "ES384", "ES512"}
    else:
        raise RuntimeError(f"unsupported verification key type {type(key).__name__}")
    return tuple(sorted(own & set(allowed)))


# How long a verified token is taken as verified without checking its signature again, and how many.
VERIFIED_FOR = 60.0
VERIFIED_MAX = 10_000


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        bad = set(settings.jwt_algorithms) - ASYMMETRIC
        if bad:
            raise RuntimeError(f"JWT_ALGORITHMS may only list asymmetric algorithms, not {sorted(bad)}")
        self.audience = settings.jwt_audience
        self.issuer = settings.jwt_issuer
        self.leeway = settings.jwt_leeway_seconds
        self._allowed = tuple(settings.jwt_algorithms)
        self._keys = self._load_keys(settings)
        self._jwks_client = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        # SHA-256 of a verified token → its caller and until when it may be taken as verified.
        self._verified: OrderedDict[bytes, tuple[Caller, float]] = OrderedDict()
        if not self._keys and self._jwks_client is None:
            raise RuntimeError(
                "no token verification key: set JWT_PUBLIC_KEY_FILE, JWT_JWKS_FILE or JWT_JWKS_URL"
            )

    def _load_keys(self, settings: Settings) -> list[_Key]:
        keys: list[_Key] = []
        if settings.jwt_public_key_file is not None:
            public = serialization.load_pem_public_key(settings.jwt_public_key_file.read_bytes())
            keys.append(_Key(public, _algorithms_for(public, self._allowed)))
        if settings.jwt_jwks_file is not None:
            for jwk in jwt.PyJWKSet.from_dict(json.loads(settings.jwt_jwks_file.read_text())).keys:
                keys.append(_Key(jwk.key, _algorithms_for(jwk.key, self._allowed), jwk.key_id))
        if not keys and settings.jwt_jwks_url is None and settings.run_mode == "embedded":
            private = load_or_create_local_key(settings.data_dir)
            public = private.public_key()
            keys.append(_Key(public, _algorithms_for(public, self._allowed)))
        return keys

    def _candidates(self, token: str) -> list[_Key]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _refused("malformed token") from exc
        algorithm = header.get("alg")
        if algorithm not in self._allowed:
            raise _refused(f"algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if self._jwks_client is not None:
            signing = self._jwks_client.get_signing_key_from_jwt(token)
            return [_Key(signing.key, _algorithms_for(signing.key, self._allowed), signing.key_id)]
        return [k for k in self._keys if algorithm in k.algorithms and (kid is None or k.kid in (None, kid))]

    def verify(self, token: str) -> Caller:
        """The caller the token names, if its signature, issuer, audience and times hold.

        A token verified a moment ago is not checked again (its signature cannot have changed): it
        is remembered, by its SHA-256, until it expires or for VERIFIED_FOR seconds, whichever is
        first, so a key withdrawn from the JWKS stops being honoured within that time."""
        digest = hashlib.sha256(token.encode()).digest()
        now = time.time()
        known = self._verified.get(digest)
        if known is not None and now < known[1]:
            self._verified.move_to_end(digest)
            return known[0]
        caller, expires = self._verify(token)
        self._verified[digest] = (caller, min(expires + self.leeway, now + VERIFIED_FOR))
        while len(self._verified) > VERIFIED_MAX:
            self._verified.popitem(last=False)
        return caller

    def _verify(self, token: str) -> tuple[Caller, float]:
        claims: dict[str, Any] | None = None
        for candidate in self._candidates(token):
            try:
                claims = jwt.decode(
                    token,
                    candidate.key,
                    algorithms=list(candidate.algorithms),
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=self.leeway,
                    options={"require": ["exp", "iat", "sub", "aud", "iss"]},
                )
                break
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as exc:
                raise _refused(str(exc)) from exc
        if claims is None:
            raise _refused("signature does not verify")
        return _caller_from(claims), float(claims["exp"])


def _caller_from(claims: dict[str, Any]) -> Caller:
    tenant = claims.get("tenant")
    organisation = claims.get("org")
    roles = claims.get("roles")
    if not isinstance(tenant, str) or not valid_local_government_code(tenant):
        raise _refused("tenant claim is not a local government code")
    if not isinstance(organisation, str) or not 0 < len(organisation) <= 100:
        raise _refused("org claim missing")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise _refused("roles claim must be a list of strings")
    known = frozenset(Role(r) for r in roles if r in Role.__members__)
    subject = str(claims["sub"])
    if not 0 < len(subject) <= 200:
        raise _refused("sub claim missing")
    jti = claims.get("jti")
    return Caller(
        subject=subject,
        tenant_id=tenant,
        organisation_id=organisation,
        roles=known,
        token_id=str(jti) if jti else None,
    )


def _refused(reason: str) -> Unauthenticated:
    return Unauthenticated(
        Text("トークンを検証できません。", f"The bearer token was refused: {reason}."),
        extra={"reason": reason},
    )


def load_or_create_local_key(data_dir: Path) -> ec.EllipticCurvePrivateKey:
    """Embedded mode's own signing key (P-256), created on first use; never used in distributed mode."""
    path = data_dir / "keys" / LOCAL_KEY_NAME
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise RuntimeError(f"{path} is not an EC private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(pem)
    temporary.chmod(0o600)
    temporary.replace(path)
    return key


def mint(
    private_key: Any,
    *,
    subject: str,
    tenant_id: str,
    organisation_id: str,
    roles: Iterable[str],
    issuer: str,
    audience: str,
    lifetime_seconds: int = 3600,
    algorithm: str = "ES256",
    extra: dict[str, Any] | None = None,
) -> str:
    """A token as an identity provider would issue it (embedded mode and tests)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "tenant": tenant_id,
        "org": organisation_id,
        "roles": list(roles),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        "jti": str(uuid.uuid4()),
    }
    claims.update(extra or {})
    return jwt.encode(claims, private_key, algorithm=algorithm)
