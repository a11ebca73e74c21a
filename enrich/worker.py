"""Enrich stage: mentions.raw → sentiment + virality → mentions.enriched (key = mention id)."""

from datetime import UTC, datetime

from enrich.sentiment import SentimentScorer, compose_input
from enrich.virality import virality
from schemas.enriched import EnrichedMention
from schemas.mention import Mention
from veille.kafka import DurableProducer
from veille.worker import Received, Rejected


class EnrichStage:
    name = "enrich"

    def __init__(self, scorer: SentimentScorer, producer: DurableProducer, topic: str) -> None:
        self._scorer = scorer
        self._producer = producer
        self._topic = topic
        self.negative_total = 0
        self.enriched_total = 0

    def handle(self, batch: list[Received[Mention]]) -> list[Rejected]:
        rejected = [Rejected(r.record, "empty text") for r in batch if not r.value.text.strip()]
        scorable = [r for r in batch if r.value.text.strip()]
        sentiments = self._scorer.score(
            [compose_input(r.value.title, r.value.text) for r in scorable]
        )
        now = datetime.now(UTC)
        for received, sentiment in zip(scorable, sentiments, strict=True):
            mention = received.value
            enriched = EnrichedMention(
                **mention.model_dump(),
                sentiment=sentiment,
                virality=virality(mention),
                language=mention.lang,
                enriched_at=now,
            )
            self._producer.send(self._topic, mention.id, enriched.model_dump_json().encode())
            self.enriched_total += 1
            self.negative_total += sentiment.label == "negative"
        return rejected

    def flush(self) -> None:
        self._producer.flush()
