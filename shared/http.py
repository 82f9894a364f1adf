"""HTTP plumbing common to every service: body-size limit, request ids, health endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import FieldProblem, PayloadTooLarge, Text, problem_response
from shared.logs import request_id_var


class _TooLarge(StarletteHTTPException):
    """Raised from `receive`; an HTTPException, because FastAPI turns other errors met while
    reading the body into a 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The body may be at most {max_bytes} bytes.")


class BodySizeLimit:
    """Refuse bodies over `max_bytes` with 413, whether announced by Content-Length or streamed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        import_bytes: int | None = None,
        import_suffixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.default_bytes = max_bytes
        self.import_bytes = import_bytes or max_bytes
        self.import_suffixes = import_suffixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = (
            self.import_bytes
            if str(scope.get("path", "")).endswith(self.import_suffixes)
            else self.default_bytes
        )
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            Request(scope),
            status=PayloadTooLarge.status,
            slug=PayloadTooLarge.slug,
            title=PayloadTooLarge.title,
            detail=Text(
                f"送信できるのは {limit} バイトまでです。",
                f"The body may be at most {limit} bytes.",
            ),
            fields=[FieldProblem("body", Text("大きすぎます。", "Too large."), "too_large")],
        )
        await response(scope, receive, send)


class RequestId:
    """Give every request an id (or keep the caller's) and echo it, for tracing across services.

    The id is also the request's log context (`shared.logs.request_id_var`): every line logged while
    the request runs, uvicorn's access line included, names it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode(errors="ignore")
        request_id = incoming if 0 < len(incoming) <= 128 else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        if not incoming:
            scope["headers"] = [*scope.get("headers", []), (b"x-request-id", request_id.encode())]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


Check = Callable[[], Awaitable[None]]


class NotReady(RuntimeError):
    """A check's own word that something is not ready yet; its message is shown by /readyz."""


def health_router(prefix: str, checks: Callable[[Request], dict[str, Check]]) -> APIRouter:
    """`/healthz`: the process is alive. `/readyz`: its database and bus answer."""
    router = APIRouter(prefix=prefix, tags=["health"])

    @router.get("/healthz", operation_id=f"healthz{prefix.replace('/', '_')}", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", operation_id=f"readyz{prefix.replace('/', '_')}", summary="Readiness")
    async def readyz(request: Request) -> JSONResponse:
        results: dict[str, Any] = {}
        ready = True
        for name, check in checks(request).items():
            try:
                await check()
                results[name] = "ok"
            except NotReady as exc:
                ready = False
                # Says what is not ready yet ("consumer group not joined yet: coordination").
                results[name] = f"not ready: {exc}"[:300]
            except Exception as exc:
                ready = False
                # The type only: this endpoint is open, and a driver's message may name hosts.
                results[name] = f"failed: {type(exc).__name__}"
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": results}, status_code=200 if ready else 503
        )

    return router
