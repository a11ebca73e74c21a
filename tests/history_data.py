"""A small stored history for the history tests: mentions written by the real index stage
(so through the templates), dated relative to now, across a month boundary."""

from datetime import UTC, datetime, timedelta

from kafka.consumer.fetcher import ConsumerRecord

from enrich.indexer import IndexStage
from runtime.indices import make_client, mentions_alias
from runtime.stream import Received
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention, Virality
from schemas.mention import Author
from tests.helpers import enriched, mention


def dated(text: str, score: float, hours_ago: float, tenant: str = "agence-horizon",
          brand: str = "air-volaris", handle: str = "@someone", virality: float = 10.0,
          now: datetime | None = None) -> EnrichedMention:  # fmt: skip
    at = (now or datetime.now(UTC)) - timedelta(hours=hours_ago)
    doc = enriched(mention(text, tenant=tenant, brand=brand), score)
    return doc.model_copy(update={
        "published_at": at, "fetched_at": at, "enriched_at": at,
        "author": Author(handle=handle, followers=100), "virality": Virality(score=virality),
    })  # fmt: skip


def store(config: VeilleConfig, docs: list[EnrichedMention]) -> None:
    """Index `docs` with the index stage and make them searchable."""
    es = make_client(config.elasticsearch)
    stage = IndexStage(es, config.elasticsearch)
    received = [
        Received(ConsumerRecord("e", 0, None, i, 0, 0, d.id.encode(), b"", [], None, 0, 0, 0), d)
        for i, d in enumerate(docs)
    ]
    assert stage.handle(received) == []
    for tenant in {d.tenant for d in docs}:
        es.indices.refresh(index=mentions_alias(config.elasticsearch, tenant))
