"""The concurrency contract on PostgreSQL, where requests really run side by side."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import Settings
from tests.support.concurrency_contract import ConcurrencyContract
from tests.support.system import System, running_system


class TestConcurrencyPostgres(ConcurrencyContract):
    @pytest.fixture
    async def system(self, settings: Settings) -> AsyncIterator[System]:
        async with running_system(settings) as running:
            yield running
