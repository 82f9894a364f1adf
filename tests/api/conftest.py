"""The API suites run on embedded systems started from a migrated copy, shared per module or not.

Migrating five SQLite databases costs most of a start-up; the migrations run once per session into a
template folder (so a broken migration still fails here), and each system gets its own copy of it:
with the directory's reference data loaded and its events relayed, so intake already has its windows.

Starting a system still costs a second or two, so a module whose tests stay independent of each
other (fresh ids, data of their own, a municipality or organisation only they use) shares one: its
tests run in the module's event loop (`pytestmark = shares_one_system`, see tests/api/helpers.py),
and `settings`, `app` and `client` are then the module's. A test that needs a pristine system (it
changes settings, stops a part, counts every row, checks start-up) runs in a loop of its own
(`@own_system`, the default outside such modules) and gets a system of its own.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.embedded import create_app
from shared.settings import Settings
from tests.conftest import embedded_settings
from tests.support.directory_events import settled
from tests.support.tokens import bearer


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


def _copy_of(migrated_data_dir: Path, data_dir: Path) -> Settings:
    shutil.copytree(migrated_data_dir, data_dir)
    return embedded_settings(data_dir, migrate_on_start=False)


def _in_the_modules_loop(request: pytest.FixtureRequest) -> bool:
    """Whether the requesting test runs in its module's event loop (and so shares its system)."""
    marker = request.node.get_closest_marker("asyncio")
    if marker is None:
        return False
    return (marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")) == "module"


@pytest.fixture(scope="session")
def build_system() -> Callable[[Settings], FastAPI]:
    """How a system is built from its settings: all five services embedded. A module may override it
    (at module scope) to build its systems, shared or not, another way."""
    return create_app


# --- one system per module ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory, migrated_data_dir: Path) -> Settings:
    return _copy_of(migrated_data_dir, tmp_path_factory.mktemp("module") / "data")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_app(
    module_settings: Settings, build_system: Callable[[Settings], FastAPI]
) -> AsyncIterator[FastAPI]:
    app = build_system(module_settings)
    async with app.router.lifespan_context(app):
        await settled(app)
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_client(module_app: FastAPI, module_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as all-round staff of らんらん's operator, like `client`."""
    transport = httpx.ASGITransport(app=module_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=bearer(module_settings)
    ) as http:
        yield http


# --- the module's system, or one of the test's own ---------------------------------------------


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, migrated_data_dir: Path) -> Settings:
    if _in_the_modules_loop(request):
        shared: Settings = request.getfixturevalue("module_settings")
        return shared
    return _copy_of(migrated_data_dir, tmp_path / "data")


@pytest.fixture
def app(
    request: pytest.FixtureRequest, settings: Settings, build_system: Callable[[Settings], FastAPI]
) -> FastAPI:
    if _in_the_modules_loop(request):
        shared: FastAPI = request.getfixturevalue("module_app")
        return shared
    return build_system(settings)


@pytest.fixture
def client(request: pytest.FixtureRequest, app: FastAPI) -> httpx.AsyncClient:
    """Signed in as all-round staff of らんらん's operator (see tests/support/tokens.py)."""
    name = "module_client" if _in_the_modules_loop(request) else "own_client"
    http: httpx.AsyncClient = request.getfixturevalue(name)
    return http


@pytest.fixture
async def own_client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A test's own system, started once the start-up events have arrived (intake's windows)."""
    async with app.router.lifespan_context(app):
        await settled(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=bearer(settings)
        ) as http:
            yield http
