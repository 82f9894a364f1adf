"""The housekeeping contract on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import Settings
from tests.support.housekeeping_contract import HousekeepingContract
from tests.support.system import System, running_system


class TestHousekeepingPostgres(HousekeepingContract):
    @pytest.fixture
    async def system(self, settings: Settings) -> AsyncIterator[System]:
        async with running_system(settings) as running:
            yield running
