"""The delivery contract on SQLite files and the in-process bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.bus.base import Message
from shared.bus.memory import InProcessBus
from shared.events.registry import dead_letter_topic
from tests.conftest import embedded_settings
from tests.support.delivery_contract import DeliveryContract
from tests.support.system import System, running_system


class TestDeliveryEmbedded(DeliveryContract):
    @pytest.fixture
    async def system(self, tmp_path: Path) -> AsyncIterator[System]:
        settings = embedded_settings(tmp_path / "data")
        async with running_system(settings) as running:
            yield running

    async def dead_letter_topic_message(self, system: System, event_id: str) -> Message:
        bus = system.intake.bus
        assert isinstance(bus, InProcessBus)
        for message in bus.log[dead_letter_topic("intake")]:
            if message.header("ce_id") == event_id:
                return message
        raise AssertionError("no dead letter on the topic")
