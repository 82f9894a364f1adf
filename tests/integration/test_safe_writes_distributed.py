"""Idempotency keys and ETags on PostgreSQL and a real Kafka-protocol broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import Settings
from tests.support.safe_writes_contract import SafeWritesContract
from tests.support.system import System, running_system


class TestSafeWritesDistributed(SafeWritesContract):
    @pytest.fixture
    async def system(self, settings: Settings) -> AsyncIterator[System]:
        async with running_system(settings) as running:
            yield running
