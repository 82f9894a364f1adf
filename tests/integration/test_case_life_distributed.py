"""The life of a case (tests/support/case_life_contract.py) across processes' worth of apps: intake
and coordination each on PostgreSQL, their events on Apache Kafka, read back off the topic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer

from shared.events.registry import topic_for
from shared.settings import Settings
from tests.support.case_life_contract import CaseLifeContract
from tests.support.system import System, running_system


class TestCaseLifeDistributed(CaseLifeContract):
    @pytest.fixture
    async def system(self, settings: Settings) -> AsyncIterator[System]:
        async with running_system(settings) as running:
            yield running

    async def events_on_the_bus(self, system: System, case_id: str, expected: int) -> list[str]:
        consumer = AIOKafkaConsumer(
            f"{system.settings.kafka_namespace}{topic_for('coordination')}",
            bootstrap_servers=system.settings.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        names: list[str] = []
        try:
            async with asyncio.timeout(30):
                while len(names) < expected:
                    batches = await consumer.getmany(timeout_ms=200)
                    for records in batches.values():
                        for record in records:
                            if record.key == case_id.encode():
                                ce_type = dict(record.headers).get("ce_type", b"").decode()
                                names.append(ce_type.split(".")[-2])
        finally:
            await consumer.stop()
        return names
