"""Enrich stage: mentions.raw → sentiment and intent (one model pass), near-duplicate cluster,
virality → mentions.enriched.

Contract: one enriched mention per valid raw mention, keyed by mention id, sent to the
producer (the worker loop flushes it before committing the batch). An engagement update (the
same mention id sent again with a newer `engagement.observed_at`) is enriched again: same
cluster, velocity measured against the previous observation, a new virality score; the
indexer overwrites the document (same `_id`). A mention whose text is blank is rejected.

Clusters: the raw topic is keyed by tenant, so this worker sees every mention of the tenants
of its partitions. With a `ClusterWarmup`, a tenant's clusters are rebuilt from Elasticsearch
before the worker clusters the tenant's first mention read after a start or after gaining its
partition (enrich/warmup.py); if Elasticsearch fails then, `handle` raises and the batch is
retried.
"""

from datetime import UTC, datetime, timedelta

from kafka.structs import TopicPartition

from enrich.clusters import NearDuplicateClusters
from enrich.sentiment import SentimentScorer, compose_input
from enrich.virality import EngagementHistory, virality
from enrich.warmup import ClusterWarmup
from runtime.kafka import DurableProducer
from runtime.stream import Received, Rejected
from schemas.config import ClusterSettings, ViralitySettings
from schemas.enriched import EnrichedMention, NearDuplicateCluster, Virality
from schemas.mention import Mention


def make_clusters(settings: ClusterSettings) -> NearDuplicateClusters:
    return NearDuplicateClusters(
        threshold=settings.threshold,
        num_perm=settings.num_perm,
        max_entries=settings.max_entries,
        max_age=timedelta(hours=settings.max_age_hours),
        growth_window=timedelta(minutes=settings.growth_window_minutes),
        max_representatives=settings.max_representatives,
    )


class EnrichStage:
    name = "enrich"

    def __init__(
        self,
        scorer: SentimentScorer,
        producer: DurableProducer,
        topic: str,
        virality_settings: ViralitySettings | None = None,
        clusters: NearDuplicateClusters | None = None,
        warmup: ClusterWarmup | None = None,
    ) -> None:
        """`warmup`, if given, must wrap the same `clusters` and be the consumer's rebalance
        listener."""
        self._scorer = scorer
        self._producer = producer
        self._topic = topic
        self._virality = virality_settings or ViralitySettings()
        self._clusters = make_clusters(ClusterSettings()) if clusters is None else clusters
        self._warmup = warmup
        self._history = EngagementHistory(self._virality.history_max_ids)
        self.negative_total = 0
        self.enriched_total = 0

    def handle(self, batch: list[Received[Mention]]) -> list[Rejected]:
        if self._warmup is not None:  # before any work: it may raise (Elasticsearch down)
            self._warmup.prepare(
                (r.value.tenant, TopicPartition(r.record.topic, r.record.partition)) for r in batch
            )
        rejected = [Rejected(r.record, "empty text") for r in batch if not r.value.text.strip()]
        scorable = [r for r in batch if r.value.text.strip()]
        analyses = self._scorer.analyse(
            [compose_input(r.value.title, r.value.text) for r in scorable]
        )
        now = datetime.now(UTC)
        for received, analysis in zip(scorable, analyses, strict=True):
            mention, sentiment = received.value, analysis.sentiment
            cluster, score = self._story(mention)
            enriched = EnrichedMention(
                **mention.model_dump(),
                sentiment=sentiment,
                intent=analysis.intent,
                virality=score,
                cluster=cluster,
                language=mention.lang,
                enriched_at=now,
            )
            self._producer.send(self._topic, mention.id, enriched.model_dump_json().encode())
            self.enriched_total += 1
            self.negative_total += sentiment.label == "negative"
        return rejected

    def _story(self, mention: Mention) -> tuple[NearDuplicateCluster, Virality]:
        """The mention's cluster and virality (updates the bounded state of both)."""
        observed = mention.engagement.observed_at if mention.engagement else None
        assignment = self._clusters.assign(
            mention.tenant, mention.id, mention.text, mention.published_at, observed
        )
        velocity = None
        if mention.engagement is not None:
            velocity = self._history.observe(mention.id, mention.engagement)
        weight = self._virality.source_weights.get(
            mention.source_kind, self._virality.default_source_weight
        )
        cluster = NearDuplicateCluster(id=assignment.cluster_id, size=assignment.size)
        return cluster, virality(mention, velocity, assignment.growth, weight)

    def flush(self) -> None:
        self._producer.flush()
