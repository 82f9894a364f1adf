"""The life of a case (tests/support/case_life_contract.py) on SQLite and the in-process bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.bus.memory import InProcessBus
from shared.events.registry import topic_for
from tests.conftest import embedded_settings
from tests.support.case_life_contract import CaseLifeContract
from tests.support.system import System, running_system
from tests.support.waiting import eventually


class TestCaseLifeEmbedded(CaseLifeContract):
    @pytest.fixture
    async def system(self, tmp_path: Path) -> AsyncIterator[System]:
        async with running_system(embedded_settings(tmp_path / "data")) as running:
            yield running

    async def events_on_the_bus(self, system: System, case_id: str, expected: int) -> list[str]:
        bus = system.coordination.bus
        assert isinstance(bus, InProcessBus)

        async def published() -> list[str] | None:
            names = [
                (m.header("ce_type") or "").split(".")[-2]
                for m in bus.log[topic_for("coordination")]
                if m.key == case_id.encode()
            ]
            return names if len(names) >= expected else None

        return await eventually(published)
