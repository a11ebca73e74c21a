"""veille's producers compress their batches with gzip unless the config says otherwise
(runtime/kafka.py `make_producer`), and both Kafka-protocol servers the project runs on take
the compressed batches and give the records back whole."""

import pytest
from kafka import TopicPartition

from runtime.kafka import DurableProducer, ensure_topics, make_producer, make_reader
from schemas.config import VeilleConfig
from schemas.topics import Topics
from tests.helpers import wait_until

pytestmark = pytest.mark.integration


def test_compressed_batches_come_back_whole(broker_config: VeilleConfig) -> None:
    config = broker_config
    ensure_topics(config.kafka)
    topic = Topics(config.kafka.topic_prefix).raw
    raw = make_producer(config.kafka, "compression-test")
    assert raw.config["compression_type"] == "gzip"
    values = [f"Air Volaris a perdu ma valise, vol {i} annulé ".encode() * 20 for i in range(300)]
    producer = DurableProducer(raw)
    for i, value in enumerate(values):
        producer.send(topic, f"k{i % 7}", value)
    producer.flush()
    producer.close()

    reader = make_reader(config.kafka, "compression-test-reader")
    try:
        partitions = [TopicPartition(topic, p) for p in range(config.kafka.partitions)]
        reader.assign(partitions)
        reader.seek_to_beginning(*partitions)
        got: list[bytes] = []

        def read_all() -> bool:
            for records in reader.poll(timeout_ms=200).values():
                got.extend(r.value for r in records)
            return len(got) >= len(values)

        wait_until(read_all, timeout_s=30, what="every record read back")
    finally:
        reader.close()
    assert sorted(got) == sorted(values)


def test_the_config_can_turn_compression_off(noida_config: VeilleConfig) -> None:
    kafka = noida_config.kafka.model_copy(update={"producer": {"compression_type": None}})
    producer = make_producer(kafka, "compression-off")
    try:
        assert producer.config["compression_type"] is None
    finally:
        producer.close()
