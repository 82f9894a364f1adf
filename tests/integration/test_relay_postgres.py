"""The relay contract on PostgreSQL, where two relays of one service really run side by side."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import Settings
from tests.support.relay_contract import RelayContract
from tests.support.system import System, running_system


class TestRelayPostgres(RelayContract):
    @pytest.fixture
    async def system(self, settings: Settings) -> AsyncIterator[System]:
        async with running_system(settings) as running:
            yield running

    def assert_each_row_sent_once(self, sent: list[str], ids: list[str]) -> None:
        # The advisory lock: one relay publishes at a time, the other finds it taken.
        assert sent == ids
