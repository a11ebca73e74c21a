"""Kafka connections built from KafkaSettings, and topic creation.

Contract: producers are acks=all and idempotent; consumers never auto-commit (the worker
commits explicit offsets after the side effect is durable) and start from the earliest
offset when their group has none.
"""

import logging
import time
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.partitioner.default import murmur2
from kafka.structs import TopicPartition

from runtime import metrics
from schemas.config import KafkaSettings
from schemas.topics import Topics

log = logging.getLogger(__name__)


def _security(settings: KafkaSettings) -> dict[str, Any]:
    options: dict[str, Any] = {"security_protocol": settings.security_protocol}
    if settings.sasl_mechanism:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        if settings.sasl_password is not None:
            options["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    return options


def make_producer(settings: KafkaSettings, client_id: str) -> KafkaProducer:
    """A producer with acks=all and idempotence (always), `settings.producer` merged over
    veille's defaults. Batches are gzip-compressed by default: the standard library's codec
    (no extra package, read by every broker), a few µs a record, and mention batches shrink
    5–10×. On noida-db, which rewrites its whole log as one file while it changes, the log's
    size is the engine's cost: uncompressed, its CPU per mention tripled over 60,000
    mentions (docs/scale.md)."""
    options: dict[str, Any] = {
        "retries": 2**31 - 1,
        "retry_backoff_ms": 200,
        "compression_type": "gzip",
        **settings.producer,
    }
    options.update(acks="all", enable_idempotence=True)
    return KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        **_security(settings),
        **options,
    )


def make_consumer(
    settings: KafkaSettings,
    group_id: str,
    topics: list[str],
    listener: ConsumerRebalanceListener | None = None,
) -> KafkaConsumer:
    """A consumer subscribed to `topics`; `listener` hears which partitions it gains and loses."""
    options: dict[str, Any] = {"auto_offset_reset": "earliest", **settings.consumer}
    options.update(enable_auto_commit=False)
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group_id,
        client_id=group_id,
        **_security(settings),
        **options,
    )
    consumer.subscribe(topics, listener=listener)
    return consumer


def make_reader(settings: KafkaSettings, client_id: str) -> KafkaConsumer:
    """A consumer outside any group (the caller assigns and seeks), never committing."""
    options: dict[str, Any] = {"auto_offset_reset": "earliest", **settings.consumer}
    options.update(enable_auto_commit=False, group_id=None)
    return KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        **_security(settings),
        **options,
    )


def broker_answering(consumer: KafkaConsumer) -> bool:
    """True while the consumer's group coordinator is known, i.e. the broker answers for the
    group. kafka-python's poll() does not raise while the broker is down (it returns nothing
    and reconnects in the background), so readiness asks this. It reads kafka-python's
    coordinator, which has no public accessor."""
    return not consumer._coordinator.coordinator_unknown()


def group_settled(consumer: KafkaConsumer) -> bool:
    """True while the consumer holds partitions and its group needs no rebalance. Only then
    may it poll without blocking: kafka-python drives a join inside a blocking poll, and
    short polls stretch a rebalance to tens of seconds. (Private coordinator state, as above.)"""
    return bool(consumer.assignment()) and not consumer._coordinator.need_rejoin()


def partition_of(key: str, partitions: int) -> int:
    """The partition the producers (kafka-python's default partitioner, as Java's) send `key`
    to, on a topic of `partitions` partitions: how a group member finds which keys it owns."""
    return int(murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions


def record_at(
    settings: KafkaSettings, tp: TopicPartition, offset: int | None, timeout_ms: int = 5_000
) -> bytes | None:
    """The value of the record at `offset` of `tp` (None: the first one), read by a consumer
    of no group; None if there is none (caught up) or it did not come within `timeout_ms`."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False,
        **_security(settings), **settings.consumer,
    )  # fmt: skip
    try:
        start = consumer.beginning_offsets([tp])[tp] if offset is None else offset
        if start >= consumer.end_offsets([tp])[tp]:
            return None  # nothing there (yet): do not wait for it
        consumer.assign([tp])
        consumer.seek(tp, start)
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            records = consumer.poll(timeout_ms=200, max_records=1).get(tp, [])
            if records:
                value: bytes | None = records[0].value
                return value
        return None
    finally:
        consumer.close()


def committed_offset(settings: KafkaSettings, group_id: str, tp: TopicPartition) -> int | None:
    """The offset `group_id` committed on `tp` (None: none), asked by a consumer that joins
    no group."""
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=group_id,
                             enable_auto_commit=False, **_security(settings))  # fmt: skip
    try:
        offset: int | None = consumer.committed(tp)
        return offset
    finally:
        consumer.close()


def ensure_topics(settings: KafkaSettings) -> list[str]:
    """Create veille's topics if missing, each with `retention.ms`. Returns those created."""
    topics = Topics(settings.topic_prefix)
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **_security(settings))
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name,
                settings.partitions,
                settings.replication_factor,
                topic_configs={"retention.ms": str(settings.retention_ms)},
            )
            for name in topics.all()
            if name not in existing
        ]
        created: list[str] = []
        for topic in wanted:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created topics %s", ", ".join(created))
        return created
    finally:
        admin.close()


def ensure_topic(settings: KafkaSettings, name: str, partitions: int, retention_ms: int) -> bool:
    """Create one topic outside `Topics.all()` (its own partition count and retention) if
    missing; True if it was created here."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **_security(settings))
    try:
        if name in set(admin.list_topics()):
            return False
        config = {"retention.ms": str(retention_ms)}
        try:
            admin.create_topics([NewTopic(name, partitions, settings.replication_factor,
                                          topic_configs=config)])  # fmt: skip
        except TopicAlreadyExistsError:
            return False
        log.info("created topic %s (%d partitions)", name, partitions)
        return True
    finally:
        admin.close()


class DurableProducer:
    """A KafkaProducer whose `flush()` raises if any message sent since the last flush failed.

    kafka-python's own flush() waits but swallows per-message errors; a worker must know,
    because it commits its input offsets only after its output is durable.
    """

    def __init__(self, producer: KafkaProducer) -> None:
        self._producer = producer
        self._pending: list[tuple[str, Any]] = []

    def send(self, topic: str, key: str | None, value: bytes, partition: int | None = None) -> None:
        """Queue one message; `partition` None: the key's partition (the default partitioner)."""
        future = self._producer.send(
            topic, key=None if key is None else key.encode("utf-8"), value=value,
            partition=partition,
        )  # fmt: skip
        self._pending.append((topic, future))

    def flush(self, timeout_s: float | None = None) -> None:
        pending, self._pending = self._pending, []
        self._producer.flush(timeout=timeout_s)
        for topic, future in pending:
            future.get(timeout=0)  # raises the send's exception, if any
            metrics.PRODUCED.labels(topic).inc()

    def close(self, timeout_s: float = 10.0) -> None:
        """Close, waiting up to `timeout_s` for what was sent; raises if Kafka did not take it
        all in time. Then nothing more is sent: kafka-python's close() raises on a flush
        timeout *before* stopping its sender thread, which would deliver the stale messages
        whenever Kafka comes back (after their input was fetched again by someone else), so
        the sender is stopped here."""
        try:
            self._producer.close(timeout=timeout_s)
        except Exception:
            sender = getattr(self._producer, "_sender", None)
            if sender is not None:
                sender.force_close()
            self._producer._closed = True  # its __del__ would try (and fail) to close again
            raise
