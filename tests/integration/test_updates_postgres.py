"""The update contract (tests/support/update_contract.py) on PostgreSQL, where the N copies of a
request really run side by side, with the five services on Apache Kafka as deployed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from services.embedded import create_app
from shared.settings import Settings
from tests.access.world import Builder
from tests.integration.conftest import distributed_settings
from tests.support.brokers import postgres_database
from tests.support.builders import NAGAIZUMI, OTOFUKE, RANRAN
from tests.support.tokens import bearer, identity_provider_key
from tests.support.update_contract import UpdateContract, UpdateSystem
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def updates_settings(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Settings]:
    key: Path = identity_provider_key(tmp_path_factory.mktemp("idp"))
    with postgres_database() as url:
        # The directory loads the plans' entries as embedded mode does: the world is built from them.
        yield distributed_settings(url, kafka_bootstrap, jwt_public_key_file=key, load_demo_data=True)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def update_system(updates_settings: Settings) -> AsyncIterator[UpdateSystem]:
    app = create_app(updates_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pg") as client:
            await _windows_arrived(client, updates_settings)
            builder = Builder(client, updates_settings)
            yield UpdateSystem(app, client, updates_settings, builder, await builder.standing())


async def _windows_arrived(client: httpx.AsyncClient, settings: Settings) -> None:
    """Intake has the windows the directory published at start, over Kafka, for both towns."""

    async def arrived() -> bool:
        for tenant, window in ((OTOFUKE, RANRAN), (NAGAIZUMI, "223417-fukushi-hoken-ka")):
            listed = await client.get("/intake/v1/windows", headers=bearer(settings, tenant=tenant))
            if window not in {w["code"] for w in listed.json()}:
                return False
        return True

    await eventually(arrived, within=60)


class TestUpdatesPostgres(UpdateContract):
    pass
