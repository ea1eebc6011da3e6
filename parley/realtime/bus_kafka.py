"""The Kafka bus: one topic, keyed by room id, so a room's events stay in one partition, in order.

Producers use `acks="all"` and no idempotence or transactions (the test broker has neither):
a retried produce may duplicate a record, and receivers drop what they already delivered by
room and seq (the hub). Each gateway consumes every partition from the *latest* offset under
its own identity, by manual assignment: no consumer group, so no rebalancing pauses, and a
new gateway never replays history (it reads that from the database on subscribe).

A record carries the room id as its key and the publisher's origin in a header, so a
consumer skips rooms it has no subscriber for, and its own echoes, without decoding them. A
change of send restrictions (`Event.changes_rules`; rare) has a header of its own and is
decoded by every consumer, so every process forgets what it cached of them.

A broker that goes away and comes back (possibly empty: the topic is re-created) is noticed
by a metadata probe; the consumer is then rebuilt at the latest offsets and the owner told to
catch up from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from parley.core.config import Settings
from parley.realtime.bus_remote import NO_ROOM, RemoteBus, bounded, sleep_backoff
from parley.realtime.events import RoomEvent

log = logging.getLogger("parley.realtime.bus")
ORIGIN_HEADER = "o"
#: on records every consumer decodes, room watched or not (`Event.changes_rules`)
RULES_HEADER = "rc"
PROBE_SECONDS = 1.0
KAFKA_ERRORS = (KafkaError, OSError, TimeoutError, ConnectionError)


class KafkaBus(RemoteBus):
    def __init__(self, settings: Settings, *, consume: bool) -> None:
        super().__init__(settings, consume=consume)
        assert settings.kafka_bootstrap is not None
        self.bootstrap = settings.kafka_bootstrap
        self.topic = f"{settings.cluster_prefix}.events"
        self._producer: AIOKafkaProducer | None = None
        self._topic_ready = False
        self._stopping: set[asyncio.Future[None]] = set()

    async def _open(self) -> None:
        with contextlib.suppress(*KAFKA_ERRORS):
            await self._ensure_producer()

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if not self._topic_ready:
            await self._ensure_topic()
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id=f"parley-{self.origin.decode()}",
                acks="all",
                enable_idempotence=False,
                linger_ms=0,
                request_timeout_ms=int(self.timeout * 1000),
                retry_backoff_ms=100,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _ensure_topic(self) -> None:
        await bounded(self._create_topic(), 2 * self.timeout)
        self._topic_ready = True

    async def _create_topic(self) -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap, request_timeout_ms=int(self.timeout * 1000)
        )
        await admin.start()
        try:
            if self.topic not in await admin.list_topics():
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(
                        [NewTopic(self.topic, self.settings.kafka_partitions, 1)]
                    )
        finally:
            with contextlib.suppress(*KAFKA_ERRORS):
                await bounded(admin.close(), self.timeout)

    async def _send(self, events: list[RoomEvent]) -> None:
        try:
            producer = await self._ensure_producer()
            headers = [(ORIGIN_HEADER, self.origin)]
            rules = [*headers, (RULES_HEADER, b"1")]
            sent = [
                await producer.send(
                    self.topic,
                    event.to_wire(),
                    key=self.room_key(event).encode(),
                    headers=rules if event.changes_rules else headers,
                )
                for event in events
            ]
            await asyncio.gather(*sent)
        except KAFKA_ERRORS:
            self._topic_ready = False  # the broker may have restarted empty
            raise

    async def ping(self) -> None:
        producer = await bounded(self._ensure_producer(), self.timeout)
        if not await bounded(producer.client.force_metadata_update(), self.timeout):
            raise ConnectionError("Kafka metadata unavailable")
        if self.consume and not self.connected:
            raise ConnectionError("not consuming the Kafka bus")

    async def _close(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(*KAFKA_ERRORS):
                await bounded(self._producer.stop(), self.timeout)
            self._producer = None

    # -- consuming --------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        attempt = 0
        first = True
        while True:
            consumer: AIOKafkaConsumer | None = None
            try:
                # aiokafka may wait a long time for a broker that is down: bound every step
                consumer = await bounded(self._start_consumer(), 2 * self.timeout)
                self.connected = True
                attempt = 0
                if not first:
                    self._reconnected()
                first = False
                await self._consume(consumer)
            except KAFKA_ERRORS as exc:
                if self.connected:
                    log.warning("kafka bus disconnected", extra={"error": repr(exc)})
                self.connected = False
                await sleep_backoff(attempt)
                attempt += 1
            finally:
                self.connected = False
                if consumer is not None:
                    self._discard(consumer)

    async def _start_consumer(self) -> AIOKafkaConsumer:
        await self._ensure_topic()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=f"parley-gw-{self.origin.decode()}",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=100,
            request_timeout_ms=int(self.timeout * 1000),
        )
        try:
            await consumer.start()
            partitions = consumer.partitions_for_topic(self.topic) or set()
            if not partitions:
                raise KafkaError(f"topic {self.topic} has no partitions yet")
            assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(assigned)
            await consumer.seek_to_end(*assigned)
            for tp in assigned:  # pin the positions now: later records are ours to deliver
                await bounded(consumer.position(tp), self.timeout)
        except BaseException:
            self._discard(consumer)
            raise
        return consumer

    def _discard(self, consumer: AIOKafkaConsumer) -> None:
        """Stop a consumer in the background: aiokafka's `stop` can wait a long time (and
        not on cancellation) for a broker that is gone, and the loop must go on."""

        async def stop() -> None:
            with contextlib.suppress(Exception):
                await consumer.stop()

        task = asyncio.ensure_future(stop())
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        probe_at = asyncio.get_running_loop().time() + PROBE_SECONDS
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            for records in batches.values():
                for record in records:
                    self._record(record)
            now = asyncio.get_running_loop().time()
            if now >= probe_at:
                probe_at = now + PROBE_SECONDS
                await self._probe(consumer)

    def _record(self, record: Any) -> None:
        key: bytes | None = record.key
        if key is not None and key != NO_ROOM.encode():
            try:
                if int(key) not in self.watched and not any(
                    k == RULES_HEADER for k, _ in record.headers
                ):
                    return  # no local subscriber: not even decoded
            except ValueError:
                return
        origin = next((v for k, v in record.headers if k == ORIGIN_HEADER), b"")
        self._received(origin, record.value)

    async def _probe(self, consumer: AIOKafkaConsumer) -> None:
        """aiokafka retries quietly forever; a failed metadata refresh means the broker is gone,
        and rebuilding the consumer when it is back resumes from the (new) latest offsets."""
        updated = await bounded(consumer._client.force_metadata_update(), self.timeout + 1)
        partitions = consumer.partitions_for_topic(self.topic)
        if not updated or not partitions:
            raise KafkaError("Kafka broker unreachable or topic gone")
