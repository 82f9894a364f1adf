"""The rate limit middleware, on a one-route app with a clock the tests move by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.ratelimit import RateLimit

PATH = "/intake/v1/consultations"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get(PATH)
    async def consultations() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/intake/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


Limited = Callable[..., RateLimit]


@pytest.fixture
def limited(clock: FakeClock) -> Limited:
    def build(**options: Any) -> RateLimit:
        settings: dict[str, Any] = {"per_minute": 60, "burst": 3, "clock": clock, **options}
        return RateLimit(make_app(), **settings)

    return build


@pytest.fixture
async def http(limited: Limited) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(limited()) as client:
        yield client


def client_of(app: RateLimit, peer: str = "192.0.2.10") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_burst_is_allowed_then_refused_with_a_problem(http: httpx.AsyncClient) -> None:
    allowed = [await http.get(PATH) for _ in range(3)]
    refused = await http.get(PATH, headers={"Accept-Language": "en", "X-Request-Id": "req-1"})

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [r.headers["RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert all(r.headers["RateLimit-Limit"] == "3" for r in allowed)
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["RateLimit-Limit"] == "3"
    assert refused.headers["RateLimit-Remaining"] == "0"
    problem = refused.json()
    assert problem["type"].endswith("/rate-limited")
    assert problem["status"] == 429
    assert problem["title"] == "Too many requests."
    assert problem["instance"] == PATH
    assert problem["request_id"] == "req-1"


async def test_the_problem_is_in_japanese_by_default(http: httpx.AsyncClient) -> None:
    for _ in range(3):
        await http.get(PATH)

    refused = await http.get(PATH)

    assert refused.headers["Content-Language"] == "ja"
    assert refused.json()["title"] == "リクエストが多すぎます。"


async def test_retry_after_is_the_time_until_the_next_token(limited: Limited, clock: FakeClock) -> None:
    async with client_of(limited(per_minute=6, burst=1)) as http:  # one token per 10 s
        assert (await http.get(PATH)).status_code == 200
        clock.advance(2.5)

        refused = await http.get(PATH)

    assert refused.headers["Retry-After"] == "8"  # 7.5 s, rounded up to whole seconds


async def test_the_bucket_refills_as_the_clock_advances(http: httpx.AsyncClient, clock: FakeClock) -> None:
    for _ in range(3):
        await http.get(PATH)
    assert (await http.get(PATH)).status_code == 429

    clock.advance(1.0)  # 60 a minute: one token back
    assert (await http.get(PATH)).status_code == 200
    assert (await http.get(PATH)).status_code == 429

    clock.advance(3600)  # never more than the burst
    statuses = [(await http.get(PATH)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_each_token_has_its_own_bucket(http: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await http.get(PATH, headers=bearer("token-a"))).status_code == 200

    assert (await http.get(PATH, headers=bearer("token-a"))).status_code == 429
    assert (await http.get(PATH, headers=bearer("token-b"))).status_code == 200
    # The peer address, shared by both tokens here, has its own untouched bucket too.
    assert (await http.get(PATH)).status_code == 200


async def test_one_token_is_one_caller_however_the_header_is_spelled(http: httpx.AsyncClient) -> None:
    for spelling in ("Bearer token-a", "bearer token-a", "BEARER   token-a"):
        assert (await http.get(PATH, headers={"Authorization": spelling})).status_code == 200

    assert (await http.get(PATH, headers=bearer("token-a"))).status_code == 429


async def test_one_token_is_one_caller_from_any_address(limited: Limited) -> None:
    app = limited()
    for peer in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        async with client_of(app, peer) as http:
            assert (await http.get(PATH, headers=bearer("token-a"))).status_code == 200

    async with client_of(app, "192.0.2.4") as http:
        assert (await http.get(PATH, headers=bearer("token-a"))).status_code == 429


async def test_without_a_token_each_address_has_its_own_bucket(limited: Limited) -> None:
    app = limited(burst=1)
    async with client_of(app, "192.0.2.1") as first, client_of(app, "192.0.2.2") as second:
        assert (await first.get(PATH)).status_code == 200
        assert (await first.get(PATH)).status_code == 429
        assert (await second.get(PATH)).status_code == 200


async def test_the_raw_token_is_never_kept(limited: Limited) -> None:
    app = limited()
    async with client_of(app) as http:
        await http.get(PATH, headers=bearer("secret-token-value"))

    assert not any(b"secret-token-value" in key for key in app._buckets)


async def test_exempt_paths_are_never_limited(http: httpx.AsyncClient) -> None:
    for _ in range(3):
        await http.get(PATH)

    health = [await http.get("/intake/healthz") for _ in range(10)]

    assert all(r.status_code == 200 for r in health)
    assert all("RateLimit-Limit" not in r.headers for r in health)
    assert (await http.get(PATH)).status_code == 429


async def test_a_per_minute_of_zero_turns_the_limit_off(limited: Limited) -> None:
    async with client_of(limited(per_minute=0, burst=0)) as http:
        responses = [await http.get(PATH) for _ in range(20)]

    assert all(r.status_code == 200 for r in responses)
    assert all("RateLimit-Limit" not in r.headers for r in responses)


async def test_memory_is_bounded_by_dropping_the_least_recently_seen(limited: Limited) -> None:
    app = limited(burst=1, max_clients=2)
    async with client_of(app) as http:
        assert (await http.get(PATH, headers=bearer("a"))).status_code == 200
        assert (await http.get(PATH, headers=bearer("b"))).status_code == 200
        assert (await http.get(PATH, headers=bearer("a"))).status_code == 429  # a is now the most recent
        assert (await http.get(PATH, headers=bearer("c"))).status_code == 200  # drops b, not a
        assert app.tracked_clients == 2

        assert (await http.get(PATH, headers=bearer("a"))).status_code == 429
        assert (await http.get(PATH, headers=bearer("b"))).status_code == 200  # forgotten: a fresh bucket

        for n in range(100):
            await http.get(PATH, headers=bearer(f"t{n}"))
        assert app.tracked_clients == 2


def test_a_limit_that_could_never_allow_a_request_is_refused() -> None:
    with pytest.raises(ValueError):
        RateLimit(make_app(), per_minute=60, burst=0)
