"""The delivery contract on PostgreSQL and a real Kafka-protocol broker, one app per service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from shared.bus.base import Message
from shared.events.registry import dead_letter_topic
from tests.integration.conftest import distributed_settings
from tests.support.delivery_contract import DeliveryContract
from tests.support.system import System, running_system


class TestDeliveryDistributed(DeliveryContract):
    @pytest.fixture
    async def system(
        self, database_url: str, kafka_bootstrap: str, jwt_public_key_file: Path
    ) -> AsyncIterator[System]:
        settings = distributed_settings(
            database_url, kafka_bootstrap, jwt_public_key_file=jwt_public_key_file
        )
        async with running_system(settings) as running:
            yield running

    async def dead_letter_topic_message(self, system: System, event_id: str) -> Message:
        topic = f"{system.settings.kafka_namespace}{dead_letter_topic('intake')}"
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=system.settings.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            async with asyncio.timeout(15):
                while True:
                    batches = await consumer.getmany(timeout_ms=200)
                    for records in batches.values():
                        for record in records:
                            message = Message(
                                topic=record.topic,
                                key=record.key,
                                value=record.value or b"",
                                headers=tuple(record.headers),
                            )
                            if message.header("ce_id") == event_id:
                                return message
        finally:
            await consumer.stop()
