"""Per-client rate limiting: a token bucket per caller, held in this process's memory.

The caller is the bearer token when the request carries one (so the staff behind one office proxy
each get their own allowance), else the peer address. Only a SHA-256 of the token is kept, never the
token itself. The limit is per process: with N replicas a client may make up to N times as many
requests, which is what a guard against runaway clients needs, not an exact quota.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Collection

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Text, problem_response

RATE_LIMITED_TITLE = Text("リクエストが多すぎます。", "Too many requests.")


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class RateLimit:
    """Allow `burst` requests at once per client, refilled at `per_minute`; refuse the rest with 429.

    Paths ending in one of `exempt_paths` (health checks, metrics: also under a service prefix such as
    /intake/healthz) are never limited. `per_minute <= 0` turns the limit off.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_minute: int,
        burst: int,
        exempt_paths: Collection[str] = ("/healthz", "/readyz", "/metrics"),
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.app = app
        self.enabled = per_minute > 0
        if self.enabled and burst < 1:
            raise ValueError("a rate limit needs a burst of at least 1")
        if max_clients < 1:
            raise ValueError("a rate limit needs room for at least one client")
        self.capacity = float(burst)
        self.per_second = per_minute / 60
        self.exempt_paths = tuple(p for p in exempt_paths if p)
        self.clock = clock
        self.max_clients = max_clients
        self._limit_header = str(burst).encode()
        # Least recently seen first, so the oldest bucket is the one dropped when memory is full.
        self._buckets: OrderedDict[bytes, _Bucket] = OrderedDict()

    @property
    def tracked_clients(self) -> int:
        return len(self._buckets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled or scope["path"].endswith(self.exempt_paths):
            await self.app(scope, receive, send)
            return
        remaining, retry_after = self._take(_client_of(scope))
        limit_headers = [
            (b"ratelimit-limit", self._limit_header),
            (b"ratelimit-remaining", b"%d" % remaining),
        ]
        if retry_after:
            await self._refuse(scope, receive, send, retry_after)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *limit_headers]
            await send(message)

        await self.app(scope, receive, send_with_limits)

    def _take(self, client: bytes) -> tuple[int, int]:
        """Spend a token. Returns the whole tokens left and, when refused, the seconds to wait (else 0)."""
        now = self.clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(self.capacity, now)
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
            # max(): a clock that steps back must not drain the bucket.
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.per_second)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return int(bucket.tokens), 0
        return 0, max(1, math.ceil((1 - bucket.tokens) / self.per_second))

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, retry_after: int) -> None:
        response = problem_response(
            Request(scope),
            status=429,
            slug="rate-limited",
            title=RATE_LIMITED_TITLE,
            detail=Text(
                f"{retry_after} 秒ほど待ってから再送してください。",
                f"Wait {retry_after} seconds before sending it again.",
            ),
            headers={
                "Retry-After": str(retry_after),
                "RateLimit-Limit": self._limit_header.decode(),
                "RateLimit-Remaining": "0",
            },
        )
        await response(scope, receive, send)


def _client_of(scope: Scope) -> bytes:
    """The bucket key: the token's verified subject, else the peer address.

    Keying on an unverified token would give every made-up token a fresh bucket (and push real
    callers' buckets out); a token only counts as a client once the app's verifier accepts it.
    """
    for name, value in scope.get("headers") or ():
        if name == b"authorization" and value.strip():
            scheme, _, credentials = value.strip().partition(b" ")
            token = credentials.strip() if scheme.lower() == b"bearer" else value.strip()
            subject = _verified_subject(scope, token)
            if subject is not None:
                return b"s" + hashlib.sha256(subject.encode()).digest()
            break
    client = scope.get("client")
    return b"a" + (str(client[0]).encode() if client else b"unknown")


def _verified_subject(scope: Scope, token: bytes) -> str | None:
    app = scope.get("app")
    verifier = getattr(getattr(app, "state", None), "verifier", None)
    if verifier is None:
        # No verifier (a bare app in tests): the token's digest stands for the client.
        return "token:" + hashlib.sha256(token).hexdigest()
    try:
        caller = verifier.verify(token.decode("ascii", errors="replace"))
    except Exception:
        return None
    # Verified once per request: the authorizer finds the caller in the request's state
    # (`shared.auth.policy.authenticate`) instead of checking the signature again.
    scope.setdefault("state", {})["caller"] = caller
    return f"{caller.tenant_id}/{caller.organisation_id}/{caller.subject}"
