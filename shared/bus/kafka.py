"""The Kafka backend (aiokafka): one producer, one consumer group per subscribed service.

Starting never waits for the broker: `start` returns at once and connects in the background, so a
service serves HTTP while Kafka is away or its consumer group is still joining; `ping` (behind
`/readyz`) says what is not ready yet. A broker outage is logged when it starts, at intervals while
it lasts and when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.bus.base import Delivery, Message
from shared.outage import Outage, quiet_repeats_of
from shared.settings import Settings

log = logging.getLogger(__name__)

_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


class BusNotReady(RuntimeError):
    """The bus has not (yet, or no longer) reached the broker."""


class _Assignment(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, group: _Group) -> None:
        self.group = group

    async def on_partitions_revoked(self, revoked: object) -> None:
        self.group.ready.clear()

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.group.ready.set()


@dataclass
class _Group:
    consumer: str
    topics: list[str]
    deliver: Delivery
    client: AIOKafkaConsumer | None = None
    task: asyncio.Task[None] | None = None
    # Set once the group has joined and has its partitions (with more members than partitions, a
    # member may get none: it is ready all the same).
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
        self._connected = asyncio.Event()
        self._connecting: asyncio.Task[None] | None = None
        self.outage = Outage(log, f"Kafka at {self._servers}")
        # Our own outage lines say when Kafka goes away and comes back; aiokafka's per-attempt
        # errors (~50 a second while a broker is down) are thinned to one a minute.
        quiet_repeats_of("aiokafka")

    def subscribe(self, consumer: str, topics: Sequence[str], deliver: Delivery) -> None:
        self._groups.append(_Group(consumer=consumer, topics=[self._ns(t) for t in topics], deliver=deliver))
        self._topics.update(self._ns(t) for t in topics)

    def declare_topics(self, topics: Sequence[str]) -> None:
        self._topics.update(self._ns(t) for t in topics)

    def _ns(self, name: str) -> str:
        return f"{self._namespace}{name}"

    async def start(self) -> None:
        """Connect in the background: the service does not wait for the broker or for its group."""
        self._connecting = asyncio.create_task(self._connect(), name=f"kafka-connect-{self._client_id}")

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def _connect(self) -> None:
        attempt = 0
        while True:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._servers,
                client_id=f"{self._client_id}-producer",
                acks="all",
                enable_idempotence=self._settings.kafka_enable_idempotence,
                linger_ms=0,
            )
            try:
                await self._create_topics()
                await producer.start()
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            except Exception as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                self.outage.failed(exc)
                await asyncio.sleep(_RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)])
                attempt += 1
                continue
            break
        self.outage.recovered()
        self._producer = producer
        self._connected.set()
        for group in self._groups:
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

    def _consumer_client(self, group: _Group) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
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

    async def _consume(self, group: _Group) -> None:
        outage = Outage(log, f"Kafka consumer group {group.consumer}")
        attempt = 0
        while True:
            client = group.client = self._consumer_client(group)
            client.subscribe(group.topics, listener=_Assignment(group))
            try:
                await client.start()
                while True:
                    batches = await client.getmany(timeout_ms=200, max_records=200)
                    outage.recovered()
                    attempt = 0
                    for partition, records in batches.items():
                        await self._deliver(group, client, partition, records)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outage.failed(exc)
                group.ready.clear()
                with contextlib.suppress(Exception):
                    await client.stop()
                await asyncio.sleep(_RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)])
                attempt += 1

    async def _deliver(
        self, group: _Group, client: AIOKafkaConsumer, partition: TopicPartition, records: list[object]
    ) -> None:
        for record in records:
            await group.deliver(
                Message(
                    topic=record.topic.removeprefix(self._namespace),  # type: ignore[attr-defined]
                    key=record.key,  # type: ignore[attr-defined]
                    value=record.value or b"",  # type: ignore[attr-defined]
                    headers=tuple(record.headers or ()),  # type: ignore[attr-defined]
                )
            )
        # The consumer has handled or dead-lettered each record: move the group on. A failed commit
        # (a rebalance) only means redelivery, which the inbox absorbs.
        last = records[-1].offset  # type: ignore[attr-defined]
        try:
            await client.commit({TopicPartition(partition.topic, partition.partition): last + 1})
        except Exception:
            log.warning("offset commit failed for %s; records will be redelivered", group.consumer)

    async def publish(self, message: Message) -> None:
        """Waits for the connection (the relay bounds how long), then for the broker's acks=all."""
        await self._connected.wait()
        assert self._producer is not None
        await self._producer.send_and_wait(
            self._ns(message.topic), value=message.value, key=message.key, headers=list(message.headers)
        )

    async def ping(self) -> None:
        if self._producer is None:
            raise BusNotReady("not connected to Kafka yet")
        waiting = [g.consumer for g in self._groups if not g.ready.is_set()]
        if waiting:
            raise BusNotReady(f"consumer group not joined yet: {', '.join(waiting)}")
        await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=5)

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connecting
        for group in self._groups:
            if group.task is not None:
                group.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await group.task
            if group.client is not None:
                with contextlib.suppress(Exception):
                    await group.client.stop()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
