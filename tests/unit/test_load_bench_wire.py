"""The load bench's HTTP/1.1 client (tests/bench/load/wire.py) against a tiny loopback server: bodies
by length and chunked, keep-alive reuse, and a kept-alive connection the server closed meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from tests.bench.load.wire import Connection, Request

Answer = Callable[[int], bytes]


def by_length(n: int) -> bytes:
    body = f'{{"n": {n}}}'.encode()
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


def chunked(n: int) -> bytes:
    return b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n"


class Server:
    """Answers each request with `answer(request number)`; `close_after` requests per connection."""

    def __init__(self, answer: Answer, close_after: int | None = None) -> None:
        self.answer = answer
        self.close_after = close_after
        self.requests = 0
        self.connections = 0
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while self.close_after is None or served < self.close_after:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests += 1
                served += 1
                writer.write(self.answer(self.requests))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def running(server: Server) -> AsyncIterator[Server]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()


async def test_keep_alive_reuses_one_connection() -> None:
    async with running(Server(by_length)) as server:
        await _three_on_one(server)
    assert server.connections == 1


async def _three_on_one(server: Server) -> None:
    connection = Connection("127.0.0.1", server.port)
    for n in (1, 2, 3):
        response = await connection.send(Request.of("GET", "/x", headers={"Authorization": "Bearer t"}))
        assert (response.status, response.json()) == (200, {"n": n})
    await connection.close()


async def test_a_chunked_body_and_a_post_with_json() -> None:
    async with running(Server(chunked)) as server:
        connection = Connection("127.0.0.1", server.port)
        response = await connection.send(Request.of("POST", "/x", json_body={"名前": "音更"}))
        await connection.close()
    assert (response.status, response.body) == (201, b"abcdef")


async def test_a_connection_the_server_closed_is_replaced_and_the_request_sent_again() -> None:
    async with running(Server(by_length, close_after=1)) as server:
        connection = Connection("127.0.0.1", server.port)
        first = await connection.send(Request.of("GET", "/x"))
        await asyncio.sleep(0.05)  # the server has closed its end by now
        second = await connection.send(Request.of("GET", "/x"))
        await connection.close()
    assert (first.json(), second.json()) == ({"n": 1}, {"n": 2})
    assert server.connections == 2
