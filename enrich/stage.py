"""Stories stage: mentions.scored → near-duplicate cluster, velocity, virality →
mentions.enriched. The per-tenant state of enrichment; the model ran before it
(enrich/inference.py).

Contract: one enriched mention per scored mention, sent once per brand it matched, keyed by
(tenant, brand) (`schemas.topics.brand_key`; same value each), to the producer (the worker
loop flushes it before committing the batch). An engagement update (the same mention id sent
again with a newer `engagement.observed_at`) is enriched again: same cluster, velocity
measured against the previous observation, a new virality score; the indexer overwrites the
document (same `_id`). A version seen again after a newer one (a redelivery upstream,
schemas/topics.py) gets the same cluster; velocity keeps the newest observation. Each batch
is sent in event-time order (stable: an id's versions keep theirs), undoing within the batch
the interleaving of the raw partitions that the inference stage introduces: the alert stage
reads event time per partition.

Clusters: the scored topic is keyed by tenant, so this worker sees every mention of the
tenants of its partitions. With a `ClusterWarmup`, a tenant's clusters are rebuilt from
Elasticsearch before the worker clusters the tenant's first mention read after a start or
after gaining its partition (enrich/warmup.py); if Elasticsearch fails then, `handle` raises
and the batch is retried.
"""

from datetime import UTC, datetime, timedelta

from kafka.structs import TopicPartition

from enrich.clusters import NearDuplicateClusters
from enrich.virality import EngagementHistory, virality
from enrich.warmup import ClusterWarmup
from runtime.kafka import DurableProducer
from runtime.stream import Received, Rejected
from schemas.config import ClusterSettings, ViralitySettings
from schemas.enriched import EnrichedMention, NearDuplicateCluster, ScoredMention, Virality
from schemas.mention import Mention
from schemas.topics import brand_key


def make_clusters(settings: ClusterSettings) -> NearDuplicateClusters:
    return NearDuplicateClusters(
        threshold=settings.threshold,
        num_perm=settings.num_perm,
        max_entries=settings.max_entries,
        max_age=timedelta(hours=settings.max_age_hours),
        growth_window=timedelta(minutes=settings.growth_window_minutes),
        max_representatives=settings.max_representatives,
    )


class StoriesStage:
    name = "stories"

    def __init__(
        self,
        producer: DurableProducer,
        topic: str,
        virality_settings: ViralitySettings | None = None,
        clusters: NearDuplicateClusters | None = None,
        warmup: ClusterWarmup | None = None,
    ) -> None:
        """`warmup`, if given, must wrap the same `clusters` and be the consumer's rebalance
        listener."""
        self._producer = producer
        self._topic = topic
        self._virality = virality_settings or ViralitySettings()
        self._clusters = make_clusters(ClusterSettings()) if clusters is None else clusters
        self._warmup = warmup
        self._history = EngagementHistory(self._virality.history_max_ids)
        self.negative_total = 0
        self.enriched_total = 0

    def handle(self, batch: list[Received[ScoredMention]]) -> list[Rejected]:
        if self._warmup is not None:  # before any work: it may raise (Elasticsearch down)
            self._warmup.prepare(
                (r.value.tenant, TopicPartition(r.record.topic, r.record.partition)) for r in batch
            )
        now = datetime.now(UTC)
        for received in sorted(batch, key=lambda r: r.value.published_at):  # stable
            scored = received.value
            cluster, score = self._story(scored)
            fields = scored.model_dump(exclude={"scored_at"})
            enriched = EnrichedMention(**fields, virality=score, cluster=cluster, enriched_at=now)
            value = enriched.model_dump_json().encode()
            for brand in dict.fromkeys(scored.brands):
                self._producer.send(self._topic, brand_key(scored.tenant, brand), value)
            self.enriched_total += 1
            self.negative_total += scored.sentiment.label == "negative"
        return []

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
