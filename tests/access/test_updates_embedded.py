"""The update contract (tests/support/update_contract.py) on SQLite and the in-process bus: one
system for the module, every update on a target of its own."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from services.embedded import create_app
from shared.settings import Settings
from tests.access.world import Builder
from tests.conftest import embedded_settings
from tests.support.directory_events import settled
from tests.support.update_contract import UpdateContract, UpdateSystem

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def updates_settings(tmp_path_factory: pytest.TempPathFactory, migrated_data_dir: Path) -> Settings:
    data_dir = tmp_path_factory.mktemp("updates") / "data"
    shutil.copytree(migrated_data_dir, data_dir)
    return embedded_settings(data_dir, migrate_on_start=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def update_system(updates_settings: Settings) -> AsyncIterator[UpdateSystem]:
    app = create_app(updates_settings)
    async with app.router.lifespan_context(app):
        await settled(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            builder = Builder(client, updates_settings)
            yield UpdateSystem(app, client, updates_settings, builder, await builder.standing())


class TestUpdatesEmbedded(UpdateContract):
    pass
