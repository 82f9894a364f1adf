"""Idempotency keys and ETags on SQLite and the in-process bus.

The contract counts every consultation, so each test has a system of its own: started from a copy of
the migrated template (tests/api/conftest.py) rather than migrating its own databases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import Settings
from tests.support.safe_writes_contract import SafeWritesContract
from tests.support.system import System, running_system


class TestSafeWritesEmbedded(SafeWritesContract):
    @pytest.fixture
    async def system(self, settings: Settings) -> AsyncIterator[System]:
        async with running_system(settings) as running:
            yield running
