"""Helpers shared by the tests: building mentions, producing, reading topics, waiting."""

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml
from kafka import KafkaConsumer, TopicPartition
from pydantic import SecretStr

from runtime.kafka import DurableProducer, ensure_topics, make_producer
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention, Sentiment, SentimentLabel, Virality
from schemas.mention import Author, Mention, mention_id
from schemas.topics import Topics, raw_key
from veille.runner import prepare, start_workers
from veille.running import RunningWorkers

TANSU_CONSUMER = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000}
"""tansu joins a group quickly only with these (its defaults give 25–70 s per rebalance)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_config(
    bootstrap: str, elasticsearch_url: str, consumer: dict[str, Any] | None = None, **extra: Any
) -> VeilleConfig:
    """A config of its own for one test: unique topic prefix, groups and index prefix."""
    unique = uuid.uuid4().hex[:8]
    raw: dict[str, Any] = {
        "kafka": {
            "bootstrap_servers": bootstrap,
            "topic_prefix": f"t{unique}.",
            "partitions": 3,
            "retention_ms": 3_600_000,
            "consumer": {
                "receive_message_max_bytes": 256 * 1024 * 1024,
                "max_poll_records": 100,
                **(consumer or {}),
            },
        },
        "elasticsearch": {"hosts": [elasticsearch_url], "index_prefix": f"t{unique}-"},
        "worker": {"poll_timeout_ms": 200, "retry_backoff_s": 0.2},
        "tenants": [
            {
                "id": "agence-horizon",
                "name": "Agence Horizon",
                "brands": [
                    {
                        "id": "air-volaris",
                        "name": "Air Volaris",
                        "queries": [{"id": "nom", "query": '"air volaris" OR #airvolaris'}],
                        "detection": {"min_volume": 4, "rising_windows": 1},
                    }
                ],
            },
            {
                "id": "maison-lumen",
                "name": "Maison Lumen",
                "brands": [
                    {"id": "lumen", "name": "Lumen", "queries": [{"id": "nom", "query": "lumen"}]}
                ],
            },
        ],
        # fixtures are dated November 2026: no age floor, so they pass in later years too
        # (a test of the floor passes its own `event_time`)
        "event_time": {"max_age_days": None},
        **extra,
    }
    return VeilleConfig.model_validate(raw)


T = TypeVar("T")
SATURDAY_NIGHT = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)


def mention(
    text: str,
    minute: float = 0,
    tenant: str = "agence-horizon",
    brand: str = "air-volaris",
    native_id: str | None = None,
) -> Mention:
    native = native_id or uuid.uuid4().hex
    at = SATURDAY_NIGHT + timedelta(minutes=minute)
    return Mention(
        id=mention_id(tenant, "test", native),
        tenant=tenant,
        brands=[brand],
        queries=["nom"],
        source="test",
        source_kind="replay",
        native_id=native,
        url=f"https://social.example/p/{native}",
        author=Author(handle="@someone", followers=120),
        text=text,
        lang="fr",
        published_at=at,
        fetched_at=at,
    )


def enriched(m: Mention, score: float) -> EnrichedMention:
    label: SentimentLabel = (
        "negative" if score <= -0.05 else "positive" if score >= 0.05 else "neutral"
    )
    return EnrichedMention(
        **m.model_dump(),
        sentiment=Sentiment(
            label=label,
            probabilities={"negative": 0.0, "neutral": 1.0, "positive": 0.0},
            score=score,
            model="test",
            model_version="0",
        ),
        virality=Virality(score=10.0),
        enriched_at=m.published_at,
    )


def produce(
    config: VeilleConfig, topic: str, values: list[bytes], keys: list[str] | None = None
) -> None:
    producer = DurableProducer(make_producer(config.kafka, "test-producer"))
    for i, value in enumerate(values):
        producer.send(topic, keys[i] if keys else None, value)
    producer.flush()
    producer.close()


def produce_raw(config: VeilleConfig, mentions: list[Mention]) -> None:
    """Mentions on the raw topic keyed as ingest keys them (`schemas.topics.raw_key`)."""
    topic = Topics(config.kafka.topic_prefix).raw
    produce(config, topic, [m.model_dump_json().encode() for m in mentions],
            [raw_key(m) for m in mentions])  # fmt: skip


def read_topic(
    config: VeilleConfig, topic: str, expected: int, timeout_s: float = 30.0
) -> list[bytes]:
    """Every message value of `topic` from the beginning, once at least `expected` arrived."""
    return [value for _, value in read_records(config, topic, expected, timeout_s)]


def read_records(
    config: VeilleConfig, topic: str, expected: int, timeout_s: float = 30.0
) -> list[tuple[bytes | None, bytes]]:
    """Every (key, value) of `topic` from the beginning, once at least `expected` arrived."""
    consumer = KafkaConsumer(
        bootstrap_servers=config.kafka.bootstrap_servers,
        enable_auto_commit=False,
        receive_message_max_bytes=256 * 1024 * 1024,
    )
    partitions = [TopicPartition(topic, p) for p in range(config.kafka.partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    records: list[tuple[bytes | None, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=300).values():
                records.extend((record.key, record.value) for record in batch)
            if len(records) >= expected:
                # one more short poll, so that extra (duplicate) messages would show
                for batch in consumer.poll(timeout_ms=500).values():
                    records.extend((record.key, record.value) for record in batch)
                break
    finally:
        consumer.close()
    return records


def wait_until(check: Callable[[], T], timeout_s: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.2)


@contextmanager
def workers(
    config: VeilleConfig, *names: str, builders: dict[str, Any] | None = None
) -> Iterator[RunningWorkers]:
    prepare(config)
    running = start_workers(config, names, builders=builders)
    try:
        yield running
    finally:
        running.stop()
    assert not running.failures, running.failures


def setup_topics(config: VeilleConfig) -> Any:
    return ensure_topics(config.kafka)


def committed_offsets(config: VeilleConfig, group: str, topic: str) -> int:
    """Offsets `group` committed on `topic`, summed over its partitions (0 where none)."""
    consumer = KafkaConsumer(
        bootstrap_servers=config.kafka.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    try:
        partitions = [TopicPartition(topic, p) for p in range(config.kafka.partitions)]
        return sum(consumer.committed(tp) or 0 for tp in partitions)
    finally:
        consumer.close()


def revealed(config: VeilleConfig) -> dict[str, Any]:
    """`config` as plain JSON values with its secrets in clear (a test's own throwaway
    secrets), so that it validates again: `model_dump` would mask them as '**********'."""

    def walk(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items() if v is not None}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    plain = walk(config.model_dump(mode="python", exclude_none=True))
    loaded: dict[str, Any] = json.loads(json.dumps(plain, default=str))
    return loaded


def write_config(config: VeilleConfig, path: Path) -> Path:
    """`config` as a YAML file a `veille` process can read (secrets in clear: test ones)."""
    path.write_text(yaml.safe_dump(revealed(config)))
    return path


def start_cli_worker(config_path: Path, log_path: Path, *command: str) -> subprocess.Popen[bytes]:
    """`veille --config CONFIG <command…>` in its own process (to be killed), logging to
    `log_path`."""
    return subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "--config", str(config_path), *command],
        stdout=open(log_path, "ab"),
        stderr=subprocess.STDOUT,
    )
