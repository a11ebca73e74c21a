"""A restarted enrich worker neither loses nor duplicates documents.

Clean restart on noida-db; kill -9 mid-stream on tansu, which (unlike noida-db) expires a
member that died without leaving its group.
"""

import os
import signal
import time
from pathlib import Path

import pytest

from runtime.indices import make_client, mentions_alias
from schemas.config import VeilleConfig
from schemas.topics import Topics
from tests.helpers import (
    TANSU_CONSUMER,
    make_config,
    mention,
    produce_raw,
    read_topic,
    start_cli_worker,
    wait_until,
    workers,
    write_config,
)
from tests.tansu import TansuBroker
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

N = 600


def indexed_ids(config: VeilleConfig) -> list[str]:
    es = make_client(config.elasticsearch)
    index = mentions_alias(config.elasticsearch, "agence-horizon")
    if not es.indices.exists(index=index):
        return []
    es.indices.refresh(index=index)
    found = es.search(index=index, size=10_000, source=False, query={"match_all": {}})
    return [hit["_id"] for hit in found["hits"]["hits"]]


def produce_mentions(config: VeilleConfig) -> list[str]:
    mentions = [mention(f"Air Volaris, message numéro {i}", minute=i / 10) for i in range(N)]
    produce_raw(config, mentions)
    return [m.id for m in mentions]


def test_clean_restart_of_enrich_does_not_duplicate(noida_config: VeilleConfig) -> None:
    config = noida_config
    ids = produce_mentions(config)
    with workers(config, "stories", "index"):
        with workers(config, "enrich") as first:
            wait_until(lambda: first.workers["enrich"].stats.processed > 0, what="a first batch")
        with workers(config, "enrich"):
            wait_until(lambda: len(indexed_ids(config)) >= N, what=f"{N} indexed mentions")
    assert sorted(indexed_ids(config)) == sorted(ids)


def test_kill_9_mid_stream_then_restart_indexes_each_mention_once(
    stack: EmbeddedStack, tansu: TansuBroker, tmp_path: Path
) -> None:
    config = make_config(
        tansu.bootstrap, stack.elasticsearch_url, {**TANSU_CONSUMER, "max_poll_records": 20}
    )
    topics = Topics(config.kafka.topic_prefix)
    config_path = write_config(config, tmp_path / "veille.yaml")
    ids = produce_mentions(config)
    with workers(config, "stories", "index"):
        worker = start_cli_worker(config_path, tmp_path / "enrich.log", "enrich", "run")
        try:
            wait_until(lambda: read_topic(config, topics.enriched, 1, timeout_s=1), timeout_s=60,
                       what="the first enriched mentions")  # fmt: skip
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
        done_before_kill = len(indexed_ids(config))
        assert done_before_kill < N, "the worker finished before it was killed: nothing tested"
        time.sleep(0.5)
        worker = start_cli_worker(config_path, tmp_path / "enrich.log", "enrich", "run")
        try:
            wait_until(lambda: len(indexed_ids(config)) >= N, timeout_s=120,
                       what=f"{N} indexed mentions after the restart")  # fmt: skip
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert sorted(indexed_ids(config)) == sorted(ids)
