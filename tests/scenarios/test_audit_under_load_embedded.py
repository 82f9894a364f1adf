"""The audit contract under 32 concurrent readers on SQLite files and the in-process bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import embedded_settings
from tests.support.audit_contract import AuditUnderLoadContract
from tests.support.system import System, running_system


class TestAuditUnderLoadEmbedded(AuditUnderLoadContract):
    @pytest.fixture
    async def system(self, tmp_path: Path) -> AsyncIterator[System]:
        async with running_system(embedded_settings(tmp_path / "data")) as running:
            yield running
