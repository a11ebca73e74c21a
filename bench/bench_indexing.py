"""Indexing docs/s into the embedded engine (noida-db): the index stage's `streaming_bulk`
path against a baseline of one `index` call per document, measured in the same run.

Starts its own noida-db on free ports of 127.0.0.1 with a temporary data directory and stops
it after. Each path writes the same number of documents into fresh indices (own index
prefix) and is checked by count; rounds alternate which path goes first (noida-db slows as
its data grows); reported: the median docs/s of each path and the median per-round ratio.
"""

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from elasticsearch import Elasticsearch
from kafka.consumer.fetcher import ConsumerRecord

from bench.stack import temporary_stack
from enrich.indexer import IndexStage
from runtime.indices import ensure_templates, make_client, mention_index, mentions_alias
from runtime.stream import Received
from schemas.config import ElasticsearchSettings
from schemas.enriched import EnrichedMention, Sentiment, Virality
from schemas.mention import Author, Engagement, Mention, mention_id

DOCS = 2_000  # per path and round
ROUNDS = 5  # alternating which path goes first; medians are reported
BATCH = 500  # one polled batch (kafka.consumer.max_poll_records)
TENANTS = ("agence-horizon", "maison-lumen")
TEXTS = (
    "Trois heures d'attente au téléphone chez Air Volaris, inadmissible, plus jamais.",
    "Merci Air Volaris, équipage adorable et vol à l'heure, je recommande.",
    "Air Volaris ouvre une ligne Nantes-Lisbonne au printemps prochain.",
)


def _documents(count: int) -> list[EnrichedMention]:
    start = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    docs = []
    for i in range(count):
        tenant, native, at = TENANTS[i % 2], uuid.uuid4().hex, start + timedelta(seconds=i)
        mention = Mention(
            id=mention_id(tenant, "bench", native), tenant=tenant, brands=["b"], queries=["q"],
            source="bench", source_kind="replay", native_id=native,
            url=f"https://social.example/p/{native}", author=Author(handle="@a", followers=i),
            text=f"{TEXTS[i % 3]} ({i})", lang="fr", published_at=at, fetched_at=at,
            engagement=Engagement(likes=i % 50, reposts=i % 7, replies=i % 3, observed_at=at),
        )  # fmt: skip
        docs.append(
            EnrichedMention(
                **mention.model_dump(),
                sentiment=Sentiment(
                    label="neutral",
                    probabilities={"neutral": 1.0},
                    score=0.0,
                    model="bench",
                    model_version="0",
                ),
                virality=Virality(score=float(i % 100)),
                enriched_at=at,
            )
        )
    return docs


def _count(client: Elasticsearch, settings: ElasticsearchSettings) -> int:
    total = 0
    for tenant in TENANTS:
        index = mentions_alias(settings, tenant)
        client.indices.refresh(index=index)
        total += int(client.count(index=index)["count"])
    return total


def _settings(url: str, prefix: str) -> ElasticsearchSettings:
    return ElasticsearchSettings(hosts=[url], index_prefix=prefix, number_of_replicas=0)


def measure_baseline(url: str, docs: list[EnrichedMention], prefix: str) -> float:
    """One `index` request per document, as a naive sink would do."""
    settings = _settings(url, prefix)
    client = make_client(settings)
    ensure_templates(client, settings, list(TENANTS))
    started = time.perf_counter()
    for doc in docs:
        client.index(index=mention_index(settings, doc.tenant, doc.published_at), id=doc.id,
                     document=doc.model_dump(mode="json"))  # fmt: skip
    elapsed = time.perf_counter() - started
    assert _count(client, settings) == len(docs), "baseline: documents missing"
    return len(docs) / elapsed


def measure_stage(url: str, docs: list[EnrichedMention], prefix: str) -> float:
    """The index stage as the worker runs it: one `handle` per polled batch."""
    settings = _settings(url, prefix)
    client = make_client(settings)
    ensure_templates(client, settings, list(TENANTS))
    stage = IndexStage(client, settings)
    received = [
        Received(
            ConsumerRecord(
                "mentions.enriched", 0, None, offset, 0, 0, doc.id.encode(), b"", [], None, 0, 0, 0
            ),
            doc,
        )
        for offset, doc in enumerate(docs)
    ]
    started = time.perf_counter()
    for first in range(0, len(received), BATCH):
        rejected = stage.handle(received[first : first + BATCH])
        assert not rejected, rejected[:1]
    elapsed = time.perf_counter() - started
    assert _count(client, settings) == len(docs), "stage: documents missing"
    return len(docs) / elapsed


def main() -> int:
    baseline: list[float] = []
    bulk: list[float] = []
    with temporary_stack() as (stack, _folder):
        url = stack.elasticsearch_url
        for round_ in range(ROUNDS):
            one, many = _documents(DOCS), _documents(DOCS)
            if round_ % 2 == 0:
                baseline.append(measure_baseline(url, one, f"bench-one-{round_}-"))
                bulk.append(measure_stage(url, many, f"bench-bulk-{round_}-"))
            else:
                bulk.append(measure_stage(url, many, f"bench-bulk-{round_}-"))
                baseline.append(measure_baseline(url, one, f"bench-one-{round_}-"))
    for round_, (b, s) in enumerate(zip(baseline, bulk, strict=True)):
        print(f"round {round_}: baseline {b:.0f} docs/s, stage {s:.0f} docs/s")
    base, stage = statistics.median(baseline), statistics.median(bulk)
    print(f"{DOCS} documents per path, {ROUNDS} rounds, median (noida-db, 127.0.0.1)")
    print(f"baseline, one index request per document: {base:8.0f} docs/s")
    print(f"index stage, streaming_bulk ({BATCH}/batch):  {stage:8.0f} docs/s")
    ratio = statistics.median(s / b for b, s in zip(baseline, bulk, strict=True))
    print(f"ratio (median of the rounds' ratios): {ratio:.1f}x the baseline")
    return 0
