"""Where verification keys come from: a PEM file, a JWKS file, or embedded mode's own key."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.auth.roles import Role
from shared.auth.tokens import TokenVerifier, Unauthenticated, load_or_create_local_key, mint
from shared.settings import Settings


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def _claims() -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "u1",
        "tenant": "016314",
        "org": "016314-town",
        "roles": ["coordinator", "not-a-role"],
        "iss": "jusou-local",
        "aud": "jusou",
        "iat": now,
        "exp": now + 60,
    }


def _public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_an_rs256_token_verifies_against_a_public_key_file(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "idp.pem").write_bytes(_public_pem(key))
    verifier = TokenVerifier(
        _settings(tmp_path, run_mode="distributed", jwt_public_key_file=tmp_path / "idp.pem")
    )
    caller = verifier.verify(jwt.encode(_claims(), key, algorithm="RS256"))
    assert caller.subject == "u1" and caller.tenant_id == "016314" and caller.organisation_id == "016314-town"
    assert caller.roles == frozenset({Role.coordinator})  # unknown roles carry no rights


def test_a_jwks_file_picks_the_key_by_kid(tmp_path: Path) -> None:
    first, second = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, key in (("k1", first), ("k2", second)):
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        keys.append({**jwk, "kid": kid, "use": "sig", "alg": "ES256"})
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys}))
    verifier = TokenVerifier(
        _settings(tmp_path, run_mode="distributed", jwt_jwks_file=tmp_path / "jwks.json")
    )
    token = jwt.encode(_claims(), second, algorithm="ES256", headers={"kid": "k2"})
    assert verifier.verify(token).subject == "u1"
    forged = jwt.encode(_claims(), first, algorithm="ES256", headers={"kid": "k2"})
    with pytest.raises(Unauthenticated):
        verifier.verify(forged)


def test_distributed_mode_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="verification key"):
        TokenVerifier(_settings(tmp_path, run_mode="distributed"))


def test_symmetric_algorithms_cannot_be_configured(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="asymmetric"):
        TokenVerifier(_settings(tmp_path, jwt_algorithms=["RS256", "HS256"]))


def test_embedded_mode_verifies_its_own_minted_tokens(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    verifier = TokenVerifier(settings)
    token = mint(
        load_or_create_local_key(tmp_path),
        subject="s",
        tenant_id="223417",
        organisation_id="223417-town",
        roles=["auditor"],
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    assert verifier.verify(token).roles == frozenset({Role.auditor})
    assert (tmp_path / "keys" / "local-signing-key.pem").stat().st_mode & 0o077 == 0


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _minted(tmp_path: Path, settings: Settings, lifetime: int) -> str:
    return mint(
        load_or_create_local_key(tmp_path),
        subject="s",
        tenant_id="016314",
        organisation_id="016314-town",
        roles=["coordinator"],
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        lifetime_seconds=lifetime,
    )


def test_a_verified_token_is_not_checked_again_until_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, jwt_leeway_seconds=0)
    verifier = TokenVerifier(settings)
    token = _minted(tmp_path, settings, lifetime=30)
    clock = _Clock()
    monkeypatch.setattr("shared.auth.tokens.time.time", clock)
    checks: list[str] = []
    original = jwt.decode

    def counting(*args: object, **kwargs: object) -> object:
        checks.append("decode")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("shared.auth.tokens.jwt.decode", counting)

    for _ in range(5):
        assert verifier.verify(token).subject == "s"
    assert checks == ["decode"]

    # Past its expiry it is no longer taken as verified: it is checked again (and PyJWT, on its own
    # clock, decides; an expired token is refused there, as every other one).
    clock.now += 31
    verifier.verify(token)
    assert checks == ["decode", "decode"]


def test_a_remembered_token_is_checked_again_after_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    verifier = TokenVerifier(settings)
    token = _minted(tmp_path, settings, lifetime=3600)
    clock = _Clock()
    monkeypatch.setattr("shared.auth.tokens.time.time", clock)
    verifier.verify(token)
    clock.now += 61  # beyond VERIFIED_FOR: a key withdrawn meanwhile would now be noticed
    calls: list[str] = []
    original = verifier._verify
    monkeypatch.setattr(verifier, "_verify", lambda t: calls.append(t) or original(t))
    verifier.verify(token)
    assert calls == [token]


def test_an_altered_token_is_verified_afresh_and_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    verifier = TokenVerifier(settings)
    token = _minted(tmp_path, settings, lifetime=3600)
    verifier.verify(token)
    header, payload, signature = token.split(".")
    forged = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    with pytest.raises(Unauthenticated):
        verifier.verify(forged)
