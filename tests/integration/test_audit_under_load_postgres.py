"""The audit contract under 32 concurrent readers on PostgreSQL, where they really run side by side."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.settings import Settings
from tests.support.audit_contract import AuditUnderLoadContract
from tests.support.system import System, running_system


class TestAuditUnderLoadPostgres(AuditUnderLoadContract):
    @pytest.fixture
    async def system(self, settings: Settings) -> AsyncIterator[System]:
        async with running_system(settings) as running:
            yield running
