"""Tokens that must be refused (401), whatever endpoint they are sent to, and refusals audited.

The module's tests share one system: none of them changes anything but the audit trail, where each
looks for its own request id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from services.intake.db import audit_log
from shared.auth.tokens import load_or_create_local_key, mint
from shared.runtime import runtimes_of
from tests.api.helpers import shares_one_system
from tests.support.builders import OTOFUKE, RANRAN_OPERATOR

pytestmark = shares_one_system

TARGET = "/intake/v1/consultations"


def _claims(settings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "staff-yamada",
        "tenant": OTOFUKE,
        "org": RANRAN_OPERATOR,
        "roles": ["window_staff"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(settings, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, load_or_create_local_key(settings.data_dir), algorithm="ES256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _hs256_with_public_key(settings, claims: dict[str, Any]) -> str:
    public_pem = (
        load_or_create_local_key(settings.data_dir)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())

    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _tampered(settings) -> str:
    token = _sign(settings, _claims(settings))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["municipal_officer"]  # promote oneself
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _other_key(settings) -> str:
    stranger = ec.generate_private_key(ec.SECP256R1())
    return mint(
        stranger,
        subject="x",
        tenant_id=OTOFUKE,
        organisation_id=RANRAN_OPERATOR,
        roles=["window_staff"],
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


ATTACKS = {
    "expired": lambda s: _sign(s, _claims(s, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
    "not yet valid": lambda s: _sign(s, _claims(s, nbf=int(time.time()) + 3600)),
    "wrong audience": lambda s: _sign(s, _claims(s, aud="another-system")),
    "wrong issuer": lambda s: _sign(s, _claims(s, iss="https://evil.example")),
    "alg none": lambda s: _unsigned(_claims(s)),
    "HS256 signed with the public key": lambda s: _hs256_with_public_key(s, _claims(s)),
    "tampered payload": _tampered,
    "signed by another key": _other_key,
    "no expiry": lambda s: _sign(s, _claims(s, exp=None)),
    "tenant is not a local government code": lambda s: _sign(s, _claims(s, tenant="016315")),
    "garbage": lambda s: "not.a.token",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_a_bad_token_is_refused_with_401(attack: str, client: httpx.AsyncClient, settings) -> None:
    token = ATTACKS[attack](settings)
    for method, path in (("GET", TARGET), ("GET", "/coordination/v1/cases"), ("POST", TARGET)):
        response = await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, json={})
        assert response.status_code == 401, (attack, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer    "])
async def test_without_a_bearer_token_every_endpoint_answers_401(header, app) -> None:
    headers = {} if header is None else {"Authorization": header}
    # Not the `client`, which sends its token with every request.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anonymous:
        response = await anonymous.get(TARGET, headers=headers)
    assert response.status_code == 401, response.text


async def test_refused_attempts_are_in_the_audit_trail(client: httpx.AsyncClient, app, settings) -> None:
    token = ATTACKS["expired"](settings)
    await client.get(TARGET, headers={"Authorization": f"Bearer {token}", "X-Request-ID": "attempt-1"})
    db = runtimes_of(app)["intake"].db
    async with db.transaction() as session:
        rows = (await session.execute(select(audit_log).where(audit_log.c.request_id == "attempt-1"))).all()
    assert len(rows) == 1
    assert rows[0].outcome == "denied"
    assert rows[0].status == 401
    assert rows[0].subject == "anonymous"
    assert rows[0].resource == "consultation"
