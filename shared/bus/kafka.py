"""The Kafka backend (aiokafka): one producer, one consumer group per subscribed service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.bus.base import Delivery, Message
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class _Group:
    consumer: str
    topics: list[str]
    deliver: Delivery
    client: AIOKafkaConsumer | None = None
    task: asyncio.Task[None] | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class KafkaBus:
    def __init__(self, settings: Settings, *, client_id: str = "jusou") -> None:
        if not settings.kafka_bootstrap_servers:
            raise RuntimeError("KAFKA_BOOTSTRAP_SERVERS is not set")
        self._servers = settings.kafka_bootstrap_servers
        self._settings = settings
        self._client_id = client_id
        self._namespace = settings.kafka_namespace
        self._groups: list[_Group] = []
        self._topics: set[str] = set()
        self._producer: AIOKafkaProducer | None = None

    def subscribe(self, consumer: str, topics: Sequence[str], deliver: Delivery) -> None:
        self._groups.append(_Group(consumer=consumer, topics=[self._ns(t) for t in topics], deliver=deliver))
        self._topics.update(self._ns(t) for t in topics)

    def declare_topics(self, topics: Sequence[str]) -> None:
        self._topics.update(self._ns(t) for t in topics)

    def _ns(self, name: str) -> str:
        return f"{self._namespace}{name}"

    async def start(self) -> None:
        await self._create_topics()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._servers,
            client_id=f"{self._client_id}-producer",
            acks="all",
            enable_idempotence=self._settings.kafka_enable_idempotence,
            linger_ms=0,
        )
        await self._producer.start()
        for group in self._groups:
            group.client = AIOKafkaConsumer(
                *group.topics,
                bootstrap_servers=self._servers,
                client_id=f"{self._client_id}-{group.consumer}",
                group_id=self._ns(group.consumer),
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                metadata_max_age_ms=5_000,
                session_timeout_ms=self._settings.kafka_session_timeout_ms,
                heartbeat_interval_ms=self._settings.kafka_heartbeat_interval_ms,
                rebalance_timeout_ms=self._settings.kafka_rebalance_timeout_ms,
                fetch_max_wait_ms=self._settings.kafka_fetch_max_wait_ms,
            )
            await group.client.start()
            group.task = asyncio.create_task(self._consume(group), name=f"kafka-consume-{group.consumer}")

    async def _create_topics(self) -> None:
        if not self._topics:
            return
        admin = AIOKafkaAdminClient(bootstrap_servers=self._servers, client_id=f"{self._client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = sorted(self._topics - existing)
            for topic in missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(
                        [
                            NewTopic(
                                topic,
                                num_partitions=self._settings.kafka_topic_partitions,
                                replication_factor=self._settings.kafka_replication_factor,
                            )
                        ]
                    )
        finally:
            await admin.close()

    async def _consume(self, group: _Group) -> None:
        client = group.client
        assert client is not None
        while True:
            try:
                batches = await client.getmany(timeout_ms=200, max_records=200)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("kafka fetch failed for %s; retrying", group.consumer)
                await asyncio.sleep(1)
                continue
            for partition, records in batches.items():
                for record in records:
                    await group.deliver(
                        Message(
                            topic=record.topic.removeprefix(self._namespace),
                            key=record.key,
                            value=record.value or b"",
                            headers=tuple(record.headers or ()),
                        )
                    )
                # The consumer has handled or dead-lettered each record: move the group on. A failed
                # commit (a rebalance) only means redelivery, which the inbox absorbs.
                position = {TopicPartition(partition.topic, partition.partition): records[-1].offset + 1}
                try:
                    await client.commit(position)
                except Exception:
                    log.warning("offset commit failed for %s; records will be redelivered", group.consumer)

    async def publish(self, message: Message) -> None:
        if self._producer is None:
            raise RuntimeError("kafka bus is not started")
        await self._producer.send_and_wait(
            self._ns(message.topic), value=message.value, key=message.key, headers=list(message.headers)
        )

    async def ping(self) -> None:
        if self._producer is None:
            raise RuntimeError("kafka bus is not started")
        await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=5)

    async def stop(self) -> None:
        for group in self._groups:
            if group.task is not None:
                group.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await group.task
            if group.client is not None:
                await group.client.stop()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
