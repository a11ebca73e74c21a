"""A small stored history for the history tests: mentions written by the real index stage
(so through the templates), dated relative to now, across a month boundary."""

from datetime import UTC, datetime, timedelta

from kafka.consumer.fetcher import ConsumerRecord

from alerts.store import IncidentStore
from enrich.indexer import IndexStage
from runtime.indices import incidents_alias, make_client, mentions_alias
from runtime.stream import Received
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention, Virality
from schemas.incident import Incident, MentionRef
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


def stored_incident(
    config: VeilleConfig,
    cited: list[EnrichedMention],
    opened_at: datetime,
    incident_id: str = "inc-1",
    resolved_at: datetime | None = None,
    tenant: str = "agence-horizon",
    brand: str = "air-volaris",
) -> Incident:
    """A crisis citing `cited` as its top posts, written by the alert stage's IncidentStore."""
    found = Incident(
        id=incident_id, tenant=tenant, brand=brand, kind="crisis",
        status="resolved" if resolved_at else "open", severity="major",
        trigger="negative_acceleration", opened_at=opened_at,
        updated_at=resolved_at or opened_at, resolved_at=resolved_at,
        resolved_by="auto" if resolved_at else None, window_minutes=10, count=len(cited),
        stories=len(cited), signal=12.0, baseline=2.0, peak_signal=12.0, negative_share=0.9,
        summary=f"{len(cited)} mentions négatives en 10 min",
        top_mentions=[MentionRef(id=m.id, url=m.url, text=m.text, published_at=m.published_at,
                                 virality=m.virality.score) for m in cited],
        top_terms=["retard"],
    )  # fmt: skip
    es = make_client(config.elasticsearch)
    IncidentStore(es, config.elasticsearch).save([found])
    es.indices.refresh(index=incidents_alias(config.elasticsearch, tenant))
    return found
