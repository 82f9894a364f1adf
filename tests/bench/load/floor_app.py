"""The floors of the load bench: what a FastAPI endpoint costs with nothing behind it, and with one
SELECT through the driver the services use (aiosqlite in embedded mode, asyncpg in distributed mode).

Served by uvicorn exactly as the services are (`uvicorn tests.bench.load.floor_app:app`, one worker).
`FLOOR_DATABASE` names the database: `sqlite:///<path>` or `postgresql://…`. At start the app makes
a small table of its own (`bench_floor`, 100 rows) and `GET /one-query` reads one row of it by key.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI

ROWS = 100


class Reader(Protocol):
    async def one(self, key: int) -> dict[str, Any]: ...

    async def close(self) -> None: ...


@dataclass
class SqliteReader:
    """One aiosqlite connection, as a service's engine holds one per request in flight at most."""

    connection: Any

    @classmethod
    async def open(cls, path: str) -> SqliteReader:
        import aiosqlite

        connection = await aiosqlite.connect(path)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, name TEXT)")
        await connection.executemany(
            "INSERT OR IGNORE INTO bench_floor (id, name) VALUES (?, ?)",
            [(i, f"行{i}") for i in range(1, ROWS + 1)],
        )
        await connection.commit()
        return cls(connection)

    async def one(self, key: int) -> dict[str, Any]:
        async with self.connection.execute("SELECT id, name FROM bench_floor WHERE id = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return {"id": row[0], "name": row[1]}

    async def close(self) -> None:
        await self.connection.close()


@dataclass
class PostgresReader:
    """An asyncpg pool the size of a service's (SQLAlchemy's pool_size 10 + max_overflow 10)."""

    pool: Any

    @classmethod
    async def open(cls, dsn: str) -> PostgresReader:
        import asyncpg

        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        async with pool.acquire() as connection:
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS bench_floor (id integer PRIMARY KEY, name text)"
            )
            await connection.executemany(
                "INSERT INTO bench_floor (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [(i, f"行{i}") for i in range(1, ROWS + 1)],
            )
        return cls(pool)

    async def one(self, key: int) -> dict[str, Any]:
        row = await self.pool.fetchrow("SELECT id, name FROM bench_floor WHERE id = $1", key)
        return {"id": row["id"], "name": row["name"]}

    async def close(self) -> None:
        await self.pool.close()


async def open_reader(database: str) -> Reader:
    if database.startswith("sqlite:///"):
        return await SqliteReader.open(database.removeprefix("sqlite:///"))
    if database.startswith(("postgresql://", "postgres://")):
        return await PostgresReader.open(database)
    raise RuntimeError(f"FLOOR_DATABASE must be sqlite:///… or postgresql://…, not {database!r}")


def create_app(database: str) -> FastAPI:
    readers: list[Reader] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        readers.append(await open_reader(database))
        yield
        await readers[0].close()

    app = FastAPI(title="load bench floors", lifespan=lifespan, openapi_url=None)

    @app.get("/trivial")
    async def trivial() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/one-query")
    async def one_query() -> dict[str, Any]:
        return await readers[0].one(random.randint(1, ROWS))

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok" if readers else "starting"}

    return app


app = create_app(os.environ.get("FLOOR_DATABASE", "sqlite:///bench-floor.db"))
