"""Fixtures for every suite: an embedded system on temporary SQLite files, and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.embedded import create_app
from shared.settings import Settings
from tests.support.directory_events import settled
from tests.support.tokens import bearer


def embedded_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "run_mode": "embedded",
        "data_dir": data_dir,
        "outbox_poll_seconds": 0.05,
        "consumer_retry_backoff_seconds": 0.01,
        # Tests fire requests far faster than people do.
        "rate_limit_per_minute": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return embedded_settings(tmp_path / "data")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as all-round staff of らんらん's operator (see tests/support/tokens.py).

    Starts once the start-up events have arrived: intake's windows come from the directory's."""
    async with app.router.lifespan_context(app):
        await settled(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=bearer(settings)
        ) as http:
            yield http
