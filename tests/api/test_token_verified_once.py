"""A request's bearer token is verified once: the rate limiter verifies it to key its bucket, and the
authorizer takes the caller it found instead of checking the signature again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from shared.settings import Settings
from tests.api.helpers import own_system, record_consultation
from tests.support.tokens import bearer


@own_system
async def test_each_request_verifies_its_token_once(
    settings: Settings, build_system: Callable[[Settings], FastAPI]
) -> None:
    limited = settings.model_copy(update={"rate_limit_per_minute": 6000, "rate_limit_burst": 100})
    app = build_system(limited)
    calls: list[str] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=bearer(limited)
        ) as client:
            consultation = await record_consultation(client)
            verifier = app.state.verifier
            original = verifier.verify

            def counting(token: str) -> Any:
                calls.append(token)
                return original(token)

            verifier.verify = counting
            read = await client.get(f"/intake/v1/consultations/{consultation['id']}")
            listed = await client.get("/coordination/v1/cases")

    assert (read.status_code, listed.status_code) == (200, 200)
    assert "ratelimit-remaining" in read.headers  # the limiter saw the request and its token
    assert len(calls) == 2  # one per request
