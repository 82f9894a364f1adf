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
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.bus.base import Delivery, Message
from shared.http import NotReady
from shared.outage import Outage, quiet_repeats_of
from shared.settings import Settings

log = logging.getLogger(__name__)

_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


def _reraise_if_cancelling() -> None:
    """A library may turn our cancellation into an error of its own; stop all the same."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class BusNotReady(NotReady):
    """The bus has not reached the broker yet, or its consumer groups have not joined yet."""


class _Assignment(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, group: _Group) -> None:
        self.group = group

    async def on_partitions_revoked(self, revoked: object) -> None:
        # A rebalance (a replica starting or stopping) is not unreadiness: keep serving. The
        # positions handled are the new owner's business now.
        self.group.positions.clear()

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.group.ready.set()


@dataclass
class _Group:
    consumer: str
    topics: list[str]
    deliver: Delivery
    client: AIOKafkaConsumer | None = None
    task: asyncio.Task[None] | None = None
    # Set once the group has first joined (with more members than partitions, a member may get no
    # partition: it is ready all the same); later rebalances leave it set.
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    # The next offset to handle per assigned partition (the last handled + 1), for the lag.
    positions: dict[TopicPartition, int] = field(default_factory=dict)


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
                await _bounded(producer.stop(), "stopping a producer that did not connect")
                _reraise_if_cancelling()
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
        try:
            await admin.start()
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
            with contextlib.suppress(Exception):
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
                _reraise_if_cancelling()
                outage.failed(exc)
                # Bounded: after a broker crash aiokafka's stop can wait on a coordinator that is
                # gone; a fresh client is what recovers, so do not wait on the old one for long.
                await _bounded(client.stop(), f"stopping consumer {group.consumer} for a restart")
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
            group.positions[partition] = record.offset + 1  # type: ignore[attr-defined]
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

    async def consumer_lag(self) -> dict[tuple[str, str], int]:
        """Per (consumer group, topic): records on the broker its member here has not handled yet,
        over the partitions assigned to it (the high watermark of the last fetch less the next
        offset to handle). Groups not joined yet are left out: their lag is not known."""
        lag: dict[tuple[str, str], int] = {}
        for group in self._groups:
            client = group.client
            if client is None or not group.ready.is_set():
                continue
            try:
                assigned = list(client.assignment())
            except Exception:
                continue  # the client is between a stop and a restart: not known
            for topic in group.topics:
                lag[(group.consumer, topic.removeprefix(self._namespace))] = 0
            for partition in assigned:
                behind = await self._partition_lag(group, client, partition)
                if behind is not None:
                    key = (group.consumer, partition.topic.removeprefix(self._namespace))
                    lag[key] = lag.get(key, 0) + behind
        return lag

    @staticmethod
    async def _partition_lag(
        group: _Group, client: AIOKafkaConsumer, partition: TopicPartition
    ) -> int | None:
        try:
            highwater = client.highwater(partition)
            position = group.positions.get(partition)
            if position is None:
                # Nothing handled since it was assigned: the group's position (its committed offset).
                position = await asyncio.wait_for(client.position(partition), timeout=1)
        except Exception:
            return None  # revoked meanwhile, or not fetched yet
        if highwater is None or position is None:
            return None
        return max(int(highwater) - int(position), 0)

    async def ping(self) -> None:
        if self._producer is None:
            raise BusNotReady("not connected to Kafka yet")
        waiting = [g.consumer for g in self._groups if not g.ready.is_set()]
        if waiting:
            raise BusNotReady(f"consumer group not joined yet: {', '.join(waiting)}")
        await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=5)

    async def stop(self) -> None:
        """Every step bounded: a shutdown must not hang on a broker that is away or a library task
        that does not take its cancellation."""
        if self._connecting is not None:
            await _cancel(self._connecting, "connecting to Kafka")
        for group in self._groups:
            if group.task is not None:
                await _cancel(group.task, f"consumer group {group.consumer}")
            if group.client is not None:
                await _bounded(group.client.stop(), f"stopping consumer {group.consumer}")
        if self._producer is not None:
            # Flushes what is still queued; bounded, since a broker away would hold it for 40 s.
            await _bounded(self._producer.stop(), "stopping the producer")
            self._producer = None


_SHUTDOWN_STEP_SECONDS = 10.0


async def _bounded(step: Awaitable[object], what: str) -> None:
    try:
        await asyncio.wait_for(step, timeout=_SHUTDOWN_STEP_SECONDS)
    except TimeoutError:
        log.warning("%s did not finish within %.0f s; shutting down anyway", what, _SHUTDOWN_STEP_SECONDS)
    except Exception as exc:
        log.warning("%s failed at shutdown: %s", what, exc)


async def _cancel(task: asyncio.Task[None], what: str) -> None:
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=_SHUTDOWN_STEP_SECONDS)
    if not done:
        log.warning("%s did not stop within %.0f s; left behind", what, _SHUTDOWN_STEP_SECONDS)
    elif not task.cancelled() and task.exception() is not None:
        log.warning("%s ended with %s", what, task.exception())
