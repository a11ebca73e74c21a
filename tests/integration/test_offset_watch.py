"""The offset watch on the embedded broker (runtime/offset_watch.py): it wakes a waiting
worker when its partitions hold records past the consumer's position, and only then."""

import threading

import pytest

from runtime.kafka import ensure_topics, make_consumer
from runtime.offset_watch import offset_watch
from schemas.config import VeilleConfig
from schemas.topics import Topics
from tests.helpers import produce, wait_until

pytestmark = pytest.mark.integration


def test_the_watch_wakes_a_worker_for_new_records_only(noida_config: VeilleConfig) -> None:
    config = noida_config
    ensure_topics(config.kafka)
    topic = Topics(config.kafka.topic_prefix).raw
    consumer = make_consumer(config.kafka, f"{config.kafka.topic_prefix}watch", [topic])
    stop = threading.Event()
    try:
        wait_until(lambda: consumer.poll(timeout_ms=100) == {} and bool(consumer.assignment()),
                   timeout_s=30, what="the partitions assigned")  # fmt: skip
        watch = offset_watch(consumer, config.kafka, config.worker)
        assert watch is not None
        assert watch.wait(0.3, stop) is False  # nothing to read: the wait runs out

        produce(config, topic, [b"one", b"two"], ["a", "b"])
        assert watch.wait(10, stop) is True  # records past the position
        got: list[bytes] = []
        wait_until(lambda: got.extend(r.value for rs in consumer.poll(timeout_ms=100).values()
                                      for r in rs) or len(got) == 2,
                   timeout_s=10, what="both records polled")  # fmt: skip
        assert sorted(got) == [b"one", b"two"]
        assert watch.wait(0.3, stop) is False  # read them all: nothing new

        produce(config, topic, [b"three"], ["c"])
        assert watch.wait(10, stop) is True
        assert watch.wait(0.3, stop) is False  # told once: the pacing polls it in
        stop.set()
        produce(config, topic, [b"four"], ["d"])
        assert watch.wait(10, stop) is False  # a stopping worker is not sent to poll
    finally:
        consumer.close()


def test_no_watch_where_the_listener_needs_a_handshake(noida_config: VeilleConfig) -> None:
    tls = noida_config.kafka.model_copy(update={"security_protocol": "SASL_SSL"})
    off = noida_config.worker.model_copy(update={"offset_watch_interval_ms": 0})
    consumer = make_consumer(noida_config.kafka, "unused", ["unused"])
    try:
        assert offset_watch(consumer, tls, noida_config.worker) is None
        assert offset_watch(consumer, noida_config.kafka, off) is None
    finally:
        consumer.close()
