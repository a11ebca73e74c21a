"""Inference stage: mentions.raw → sentiment and intent (one model pass) → mentions.scored.

Stateless: what it writes depends on the mention alone, so any number of workers share the
raw topic by mention id (schemas/topics.py), CPU or GPU, and one tenant's volume spreads
over all of them. The per-tenant state (near-duplicate clusters, velocity) is the next
stage's (enrich/stage.py).

Contract: one ScoredMention per valid raw mention, keyed by tenant (`scored_key`), sent to
the producer in event-time order within the batch (stable; the worker loop flushes it before
committing the batch).
A redelivered batch is scored again, the same way (same model, same input): the next stage
and the indexer absorb the repeat. A mention whose text is blank is rejected.
"""

from datetime import UTC, datetime

from enrich.sentiment import SentimentScorer, compose_input
from runtime.kafka import DurableProducer
from runtime.stream import Received, Rejected
from schemas.enriched import ScoredMention
from schemas.mention import Mention
from schemas.topics import scored_key


class InferenceStage:
    name = "enrich"

    def __init__(self, scorer: SentimentScorer, producer: DurableProducer, topic: str) -> None:
        self._scorer = scorer
        self._producer = producer
        self._topic = topic
        self.scored_total = 0

    def handle(self, batch: list[Received[Mention]]) -> list[Rejected]:
        rejected = [Rejected(r.record, "empty text") for r in batch if not r.value.text.strip()]
        scorable = sorted((r.value for r in batch if r.value.text.strip()),
                          key=lambda m: m.published_at)  # fmt: skip
        analyses = self._scorer.analyse([compose_input(m.title, m.text) for m in scorable])
        now = datetime.now(UTC)
        for mention, analysis in zip(scorable, analyses, strict=True):
            scored = ScoredMention(
                **mention.model_dump(),
                sentiment=analysis.sentiment,
                intent=analysis.intent,
                language=mention.lang,
                scored_at=now,
            )
            self._producer.send(self._topic, scored_key(mention), scored.model_dump_json().encode())
            self.scored_total += 1
        return rejected

    def flush(self) -> None:
        self._producer.flush()
