"""The API suites start one embedded system per test, like every suite, but from a migrated copy.

Migrating five SQLite databases costs most of a start-up; the migrations run once per session into a
template folder (so a broken migration still fails here), and each test gets its own copy of it: with
the directory's reference data loaded and its events relayed, so intake already has its windows.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from services.embedded import create_app
from shared.settings import Settings
from tests.conftest import embedded_settings
from tests.support.directory_events import settled


async def _start_and_stop(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        # The copies start with the directory's start-up events already in intake (its windows).
        await settled(app)


@pytest.fixture(scope="session")
def migrated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = tmp_path_factory.mktemp("migrated") / "data"
    asyncio.run(_start_and_stop(embedded_settings(template)))
    return template


@pytest.fixture
def settings(tmp_path: Path, migrated_data_dir: Path) -> Settings:
    data_dir = tmp_path / "data"
    shutil.copytree(migrated_data_dir, data_dir)
    return embedded_settings(data_dir, migrate_on_start=False)
