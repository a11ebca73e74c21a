"""The index worker: retries 429 from Elasticsearch, dead-letters mapping errors, survives
kill -9 mid-batch (frozen at a moment it had indexed documents it had not committed yet) with
every mention in the index exactly once."""

import json
import os
import signal
import time
from pathlib import Path

import pytest

from runtime.indices import make_client, mentions_alias
from schemas.config import VeilleConfig
from schemas.deadletter import DeadLetter
from schemas.enriched import Intent
from schemas.mention import Author
from schemas.topics import Topics
from tests.helpers import (
    TANSU_CONSUMER,
    committed_offsets,
    enriched,
    make_config,
    mention,
    produce,
    read_topic,
    start_cli_worker,
    wait_until,
    workers,
    write_config,
)
from tests.local_http import LocalHttp, Reply, Request, forward_to
from tests.tansu import TansuBroker
from veille.runner import group_id
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

ELASTIC_HEADERS = {"content-type": "application/json", "x-elastic-product": "Elasticsearch"}
REJECTED = {
    "type": "es_rejected_execution_exception",
    "reason": "rejected execution of coordinating operation [queue capacity 200]",
}


class ThrottlingProxy:
    """A proxy on the local HTTP server (tests/local_http.py) in front of Elasticsearch that
    refuses the first bulk requests with 429, as an overloaded cluster does: the first
    `whole_request` with an HTTP 429 error response, the next `per_item` with HTTP 200 and
    every item rejected with 429 (`errors: true`). Everything after is forwarded untouched."""

    def __init__(self, http: LocalHttp, upstream: str, whole_request: int, per_item: int) -> None:
        self.plan = ["whole"] * whole_request + ["items"] * per_item
        self.refused = 0
        self.forwarded_bulks = 0
        self.bulk_times: list[float] = []  # monotonic time of each bulk request received
        self._forward = forward_to(upstream)
        http.default = self._answer
        self.url = http.base

    def _answer(self, request: Request) -> Reply:
        bulk = request.path.endswith("/_bulk")
        if bulk:
            self.bulk_times.append(time.monotonic())
        if bulk and self.plan:
            self.refused += 1
            return self._refuse(self.plan.pop(0), request.body)
        self.forwarded_bulks += bulk
        return self._forward(request)

    @staticmethod
    def _refuse(how: str, body: bytes) -> Reply:
        if how == "whole":
            payload = {"error": {"root_cause": [REJECTED], **REJECTED}, "status": 429}
            return Reply(429, json.dumps(payload).encode(), dict(ELASTIC_HEADERS))
        items = []
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        for line in lines:
            op, meta = next(iter(line.items()))
            if op in ("index", "create", "update", "delete"):
                items.append({op: {"_index": meta.get("_index"), "_id": meta.get("_id"),
                                   "status": 429, "error": REJECTED}})  # fmt: skip
        payload = {"took": 1, "errors": True, "items": items}
        return Reply(200, json.dumps(payload).encode(), dict(ELASTIC_HEADERS))


def indexed_ids(config: VeilleConfig, tenant: str = "agence-horizon") -> list[str]:
    es = make_client(config.elasticsearch)
    index = mentions_alias(config.elasticsearch, tenant)
    if not es.indices.exists(index=index):
        return []
    es.indices.refresh(index=index)
    found = es.search(index=index, size=10_000, source=False, query={"match_all": {}})
    return [hit["_id"] for hit in found["hits"]["hits"]]


def produce_enriched(config: VeilleConfig, count: int) -> list[str]:
    docs = [enriched(mention(f"Air Volaris, avis numéro {i}", minute=i / 10), -0.5)
            for i in range(count)]  # fmt: skip
    topic = Topics(config.kafka.topic_prefix).enriched
    produce(config, topic, [d.model_dump_json().encode() for d in docs], [d.id for d in docs])
    return [d.id for d in docs]


def test_bulk_refused_with_429_is_retried_until_indexed(
    stack: EmbeddedStack, http: LocalHttp
) -> None:
    proxy = ThrottlingProxy(http, stack.elasticsearch_url, whole_request=1, per_item=2)
    config = make_config(stack.kafka_bootstrap, proxy.url)
    backoff = {"bulk_initial_backoff_s": 0.25, "bulk_max_backoff_s": 5.0}
    config = config.model_copy(update={"elasticsearch": config.elasticsearch.model_copy(
        update=backoff)})  # fmt: skip
    direct = config.model_copy(update={"elasticsearch": config.elasticsearch.model_copy(
        update={"hosts": [stack.elasticsearch_url]})})  # fmt: skip
    ids = produce_enriched(config, 30)
    with workers(config, "index") as running:
        wait_until(lambda: len(indexed_ids(direct)) >= 30, timeout_s=60, what="30 indexed")
        stats = running.workers["index"].stats
    assert proxy.refused == 3 and not proxy.plan  # every planned 429 was served...
    assert proxy.forwarded_bulks >= 1  # ...then the retried bulk went through
    assert sorted(indexed_ids(direct)) == sorted(ids)
    assert stats.rejected == 0  # a 429 is not the document's fault: nothing dead-lettered
    assert stats.retries == 0  # absorbed by the bulk's own retries: the batch never rewound
    # the configured backoff was waited (0.25 s, then 0.5 s after the per-item 429s), not the
    # default one (2 s, then 4 s)
    first, last = proxy.bulk_times[0], proxy.bulk_times[-1]
    assert 0.75 <= last - first < 4.0, proxy.bulk_times


def test_document_refused_by_the_mapping_is_dead_lettered(noida_config: VeilleConfig) -> None:
    config = noida_config
    topics = Topics(config.kafka.topic_prefix)
    before, after = enriched(mention("avant"), 0.0), enriched(mention("après"), 0.0)
    # valid for the schema (an unbounded int), but out of range of the `long` mapping
    conflicting = enriched(mention("trop"), 0.0).model_copy(
        update={"author": Author(handle="@x", followers=10**20)}
    )
    docs = [before, conflicting, after]
    with workers(config, "index"):
        produce(config, topics.enriched, [d.model_dump_json().encode() for d in docs],
                ["same-partition"] * 3)  # fmt: skip
        letters = [DeadLetter.model_validate_json(v) for v in read_topic(config, topics.dlq, 1)]
        wait_until(lambda: len(indexed_ids(config)) >= 2, what="the two good documents")
    assert len(letters) == 1
    letter = letters[0]
    assert letter.stage == "index" and "author.followers" in letter.error
    assert letter.original_value() == conflicting.model_dump_json().encode()
    assert sorted(indexed_ids(config)) == sorted([before.id, after.id])


def test_kill_9_of_the_indexer_mid_batch_then_restart_indexes_each_mention_once(
    stack: EmbeddedStack, tansu: TansuBroker, tmp_path: Path
) -> None:
    n = 600
    config = make_config(
        tansu.bootstrap, stack.elasticsearch_url, {**TANSU_CONSUMER, "max_poll_records": 100}
    )
    config = config.model_copy(update={"elasticsearch": config.elasticsearch.model_copy(
        update={"bulk_chunk_size": 2}
    )})  # fmt: skip
    config_path = write_config(config, tmp_path / "veille.yaml")
    ids = produce_enriched(config, n)
    log_path = tmp_path / "index.log"
    worker = start_cli_worker(config_path, log_path, "enrich", "index")
    enriched_topic = Topics(config.kafka.topic_prefix).enriched

    def frozen_mid_batch() -> bool:
        """Freeze the indexer; keep it frozen if it has indexed more than it committed."""
        os.kill(worker.pid, signal.SIGSTOP)
        written = len(indexed_ids(config))
        if written > committed_offsets(config, group_id(config, "index"), enriched_topic):
            return True
        os.kill(worker.pid, signal.SIGCONT)
        return False

    try:
        wait_until(frozen_mid_batch, timeout_s=60, what="the indexer caught mid-batch")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    done_before_kill = len(indexed_ids(config))
    assert 0 < done_before_kill < n, "the indexer finished before it was killed: nothing tested"
    worker = start_cli_worker(config_path, log_path, "enrich", "index")
    try:
        wait_until(lambda: len(indexed_ids(config)) >= n, timeout_s=120,
                   what=f"{n} indexed mentions after the restart")  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert sorted(indexed_ids(config)) == sorted(ids)
    es = make_client(config.elasticsearch)
    assert es.count(index=mentions_alias(config.elasticsearch, "agence-horizon"))["count"] == n


def test_intent_is_indexed_and_searchable(noida_config: VeilleConfig) -> None:
    config = noida_config
    request = enriched(mention("@Fibrea plus d'internet chez moi depuis hier"), -0.6)
    request = request.model_copy(update={"intent": Intent(
        label="service_request", model="test", model_version="0",
        probabilities={"service_request": 0.9, "other": 0.1})})  # fmt: skip
    praise = enriched(mention("Merci Fibrea, technicien au top"), 0.8)
    praise = praise.model_copy(update={"intent": Intent(
        label="praise", model="test", model_version="0",
        probabilities={"praise": 0.95, "other": 0.05})})  # fmt: skip
    docs = [request, praise]
    with workers(config, "index"):
        produce(config, Topics(config.kafka.topic_prefix).enriched,
                [d.model_dump_json().encode() for d in docs], [d.id for d in docs])  # fmt: skip
        wait_until(lambda: len(indexed_ids(config)) >= 2, what="both documents")
    es = make_client(config.elasticsearch)
    alias = mentions_alias(config.elasticsearch, request.tenant)
    for query in ("intent.label:service_request", "intent.label:service_request AND tenant:*"):
        found = es.search(index=alias, q=query, source=False)
        assert [hit["_id"] for hit in found["hits"]["hits"]] == [request.id], query
    [mappings] = [m["mappings"] for m in es.indices.get_mapping(index=alias).values()]
    assert mappings["properties"]["intent"]["properties"]["label"]["type"] == "keyword"
