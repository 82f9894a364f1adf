"""The test broker keeps what it acknowledged across a crash: the fault tests rely on it."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.brokers import KafkaBroker


async def test_a_record_acknowledged_before_a_kill_is_there_after_the_restart(
    kafka_broker: KafkaBroker,
) -> None:
    topic = f"t{uuid.uuid4().hex[:10]}.survives"
    port_before = kafka_broker.port
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, key=b"case-1", value=b"CaseReferred")
    finally:
        await producer.stop()

    try:
        kafka_broker.kill()
        assert not kafka_broker.running
    finally:
        await asyncio.to_thread(kafka_broker.start)  # the same ports and data folder

    assert kafka_broker.port == port_before
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_broker.bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    assert (record.offset, record.key, record.value) == (sent.offset, b"case-1", b"CaseReferred")
