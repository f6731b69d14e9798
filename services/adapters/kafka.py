"""Kafka through kafka-python, behind the few operations the relay and the payments consumer need.

Every failure of the broker (down, unreachable, timing out, refusing) surfaces as one exception,
``BrokerUnavailable``, after bounded timeouts: a worker that meets it keeps its position, waits
and builds fresh clients (a restarted broker may have lost its topics, which ``ensure_topic``
creates again)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

log = logging.getLogger("counterparty.kafka")

Headers = list[tuple[str, bytes]]


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time, or refused."""


@dataclass(frozen=True)
class Outgoing:
    key: bytes | None
    value: bytes
    headers: Headers


@dataclass(frozen=True)
class Incoming:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers


@contextmanager
def _broker_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except KafkaError as error:
        raise BrokerUnavailable(f"{doing}: {type(error).__name__}: {error}") from error


MAX_POLL_INTERVAL_MS = 60000


class Kafka:
    """Where the brokers are, and how long to wait for them."""

    def __init__(self, bootstrap: str, timeout: float = 10.0, client_id: str = "counterparty") -> None:
        self.bootstrap = [b.strip() for b in bootstrap.split(",") if b.strip()]
        self.timeout_ms = int(timeout * 1000)
        self.client_id = client_id

    def _common(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.bootstrap,
            "client_id": self.client_id,
            "request_timeout_ms": self.timeout_ms,
            "bootstrap_timeout_ms": self.timeout_ms,
            # Kafka's default grows to 30 s between attempts: longer than a broker restart.
            "reconnect_backoff_max_ms": 1000,
        }

    def ensure_topic(self, topic: str, partitions: int, replication: int = 1) -> bool:
        """Creates ``topic`` unless it exists; answers whether it was created."""
        with _broker_errors(f"creating topic {topic}"):
            admin = KafkaAdminClient(**self._common())
            try:
                if topic in admin.list_topics():
                    return False
                try:
                    admin.create_topics([NewTopic(topic, partitions, replication)])
                except TopicAlreadyExistsError:
                    return False  # created by another process meanwhile
                log.info("Kafka topic created", extra={"topic": topic, "partitions": partitions})
                return True
            finally:
                admin.close()

    def publisher(self) -> Publisher:
        with _broker_errors("connecting a producer"):
            return Publisher(
                KafkaProducer(
                    **self._common(),
                    acks="all",
                    # Idempotent (kafka-python's default): retries neither duplicate nor reorder
                    # the messages of a partition, so one stream's events stay in version order.
                    enable_idempotence=True,
                    linger_ms=5,
                    batch_size=512 * 1024,
                    max_block_ms=self.timeout_ms,
                    delivery_timeout_ms=2 * self.timeout_ms + 5,
                    # The topics are created on purpose, with their partitions (``ensure_topic``).
                    allow_auto_create_topics=False,
                ),
                self.timeout_ms / 1000,
            )

    def subscription(self, topic: str, group: str) -> Subscription:
        with _broker_errors(f"subscribing to {topic}"):
            consumer = KafkaConsumer(
                **{
                    **self._common(),
                    # A JoinGroup is answered only once every member has rejoined, up to the
                    # rebalance timeout (the poll interval; Tansu holds each join for half the
                    # session timeout): timed out sooner, the member leaves, joins again and
                    # restarts the rebalance it waited for, so it may never get a partition.
                    "request_timeout_ms": max(self.timeout_ms, MAX_POLL_INTERVAL_MS + 5000),
                },
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                allow_auto_create_topics=False,
                max_poll_records=100,
                # A member that died is replaced within seconds; a poll's lines take far less
                # than the poll interval. (Tansu also holds a join for half the session timeout.)
                session_timeout_ms=6000,
                heartbeat_interval_ms=1000,
                max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
            )
            consumer.subscribe([topic])
            return Subscription(consumer)


class Publisher:
    def __init__(self, producer: KafkaProducer, timeout: float) -> None:
        self.producer = producer
        self.timeout = timeout

    def publish(self, topic: str, messages: Sequence[Outgoing]) -> None:
        """Sends the messages in one go and returns once the broker has acknowledged every one
        (``acks=all``); raises ``BrokerUnavailable`` otherwise (some may have been written)."""
        with _broker_errors(f"publishing to {topic}"):
            futures = [self.producer.send(topic, key=m.key, value=m.value, headers=m.headers) for m in messages]
            self.producer.flush(self.timeout)
            for future in futures:
                future.get(timeout=self.timeout)

    def close(self) -> None:
        try:
            self.producer.close(timeout=0)
        except KafkaError:
            # kafka-python flushes before it closes, and a flush that times out (the broker is
            # gone) ends the close: stop the I/O thread, which fails what is pending, then close.
            sender = getattr(self.producer, "_sender", None)
            if sender is not None:
                sender.force_close()
                sender.join(self.timeout)
            try:
                self.producer.close(timeout=0)
            except KafkaError:
                log.debug("producer closed with errors", exc_info=True)


class Subscription:
    """A consumer in a group, committing by hand."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self.consumer = consumer

    def poll(self, timeout: float) -> list[Incoming]:
        with _broker_errors("polling"):
            found = self.consumer.poll(timeout_ms=int(timeout * 1000))
        return [
            Incoming(r.topic, r.partition, r.offset, r.key, r.value or b"", list(r.headers or ()))
            for records in found.values()
            for r in records
        ]

    def commit(self, offsets: dict[tuple[str, int], int]) -> None:
        """Commits, per (topic, partition), the offset of the next record to read."""
        with _broker_errors("committing offsets"):
            self.consumer.commit({TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()})

    def rewind(self, offsets: dict[tuple[str, int], int]) -> None:
        """Reads again from these offsets (records polled but not handled)."""
        for (topic, partition), offset in offsets.items():
            self.consumer.seek(TopicPartition(topic, partition), offset)

    def caught_up(self) -> bool:
        """Whether this member has partitions and has read each to the end its last fetch saw
        (the high watermark: some brokers, Tansu among them, answer a request for the end offset
        with the start of the last batch)."""
        assigned = self.consumer.assignment()
        if not assigned:
            return False
        with _broker_errors("reading positions"):
            for tp in assigned:
                end = self.consumer.highwater(tp)
                if end is None or self.consumer.position(tp) < end:
                    return False
        return True

    def close(self) -> None:
        try:
            self.consumer.close(autocommit=False)
        except KafkaError:
            log.debug("consumer closed with errors", exc_info=True)
