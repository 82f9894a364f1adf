"""A lean HTTP/1.1 client: one keep-alive connection, requests back to back, as `wrk` sends them.

httpx costs the client process about as much CPU per request as a trivial endpoint costs the
server; on a small machine that would make the client the bottleneck of the floor. This writes the
request bytes and reads the response (Content-Length or chunked) and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # already percent-encoded
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @classmethod
    def of(
        cls, method: str, path: str, *, headers: dict[str, str] | None = None, json_body: Any = None
    ) -> Request:
        body = b"" if json_body is None else json.dumps(json_body, ensure_ascii=False).encode()
        pairs = dict(headers or {})
        if json_body is not None:
            pairs["Content-Type"] = "application/json"
        return cls(method, path, tuple(pairs.items()), body)


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ProtocolError(RuntimeError):
    pass


# uvicorn closes a keep-alive connection idle for 5 s (--timeout-keep-alive); a connection idle for
# longer than this is not reused, so a request never races the server's close.
IDLE_REUSE_SECONDS = 4.0


@dataclass
class Connection:
    """One persistent connection to host:port; reconnects when the server has closed it.

    A client with connections to several services (distributed mode) may leave one idle for a while.
    As HTTP clients do, a connection idle too long is replaced before use, and a reused connection
    that the server closed without answering (no byte of a response) is replaced and the request
    sent once more.
    """

    host: str
    port: int
    timeout: float = 30.0
    _reader: asyncio.StreamReader | None = field(default=None, repr=False)
    _writer: asyncio.StreamWriter | None = field(default=None, repr=False)
    _last_used: float = field(default=0.0, repr=False)

    async def send(self, request: Request) -> Response:
        async with asyncio.timeout(self.timeout):
            if self._writer is not None and time.monotonic() - self._last_used > IDLE_REUSE_SECONDS:
                await self.close()
            reused = self._writer is not None
            try:
                response = await self._exchange(request)
            except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
                closed_unanswered = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
                if not (reused and closed_unanswered):
                    raise
                response = await self._exchange(request)
        self._last_used = time.monotonic()
        if response.headers.get("connection", "").lower() == "close":
            await self.close()
        return response

    async def _exchange(self, request: Request) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        try:
            self._writer.write(self._encode(request))
            return await self._read(self._reader)
        except BaseException:
            await self.close()
            raise

    def _encode(self, request: Request) -> bytes:
        lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers]
        if request.body or request.method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(request.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Response:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ProtocolError(f"not an HTTP/1.1 answer: {status_line!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(reader)
        else:
            body = b""
        return Response(int(parts[1]), headers, body)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers from uvicorn: the final CRLF
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
