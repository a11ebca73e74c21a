"""The index design on the embedded engine: composable templates, monthly routing chosen by
`published_at` (an engagement update overwrites the document where it lives), the tenant's
read alias, strict mappings."""

from datetime import UTC, datetime

import pytest
from elasticsearch import BadRequestError, Elasticsearch
from kafka.consumer.fetcher import ConsumerRecord

from enrich.indexer import IndexStage
from runtime.indices import ensure_templates, make_client, mention_index, mentions_alias
from runtime.indices.templates import component_name, index_template_name
from runtime.stream import Received
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention, NearDuplicateCluster
from schemas.mention import Engagement
from tests.helpers import enriched, mention

pytestmark = pytest.mark.integration


def _received(docs: list[EnrichedMention]) -> list[Received[EnrichedMention]]:
    return [
        Received(
            ConsumerRecord(
                "mentions.enriched", 0, None, offset, 0, 0, d.id.encode(), b"", [], None, 0, 0, 0
            ),
            d,
        )
        for offset, d in enumerate(docs)
    ]


def _at(doc: EnrichedMention, when: datetime, likes: int = 0) -> EnrichedMention:
    return doc.model_copy(update={
        "published_at": when, "fetched_at": when,
        "engagement": Engagement(likes=likes, observed_at=when),
    })  # fmt: skip


def _ready(config: VeilleConfig) -> Elasticsearch:
    es = make_client(config.elasticsearch)
    ensure_templates(es, config.elasticsearch, [t.id for t in config.tenants])
    return es


def test_templates_are_composable_and_above_builtins(noida_config: VeilleConfig) -> None:
    es = _ready(noida_config)
    settings = noida_config.elasticsearch
    assert es.cluster.get_component_template(name=component_name(settings, "mentions"))
    found = es.indices.get_index_template(
        name=index_template_name(settings, "mentions", "agence-horizon")
    )["index_templates"][0]["index_template"]
    assert found["composed_of"] == [component_name(settings, "analysis"),
                                    component_name(settings, "mentions")]  # fmt: skip
    assert found["priority"] > 100
    ensure_templates(es, settings, ["agence-horizon"])  # again: harmless


def test_month_is_chosen_by_published_at_and_updates_stay_in_place(
    noida_config: VeilleConfig,
) -> None:
    es = _ready(noida_config)
    settings = noida_config.elasticsearch
    stage = IndexStage(es, settings)
    october = _at(enriched(mention("Air Volaris en retard"), -0.4),
                  datetime(2026, 10, 31, 23, 59, tzinfo=UTC))  # fmt: skip
    november = _at(enriched(mention("Air Volaris encore"), -0.4),
                   datetime(2026, 11, 1, 0, 1, tzinfo=UTC))  # fmt: skip
    assert stage.handle(_received([october, november])) == []
    updated = october.model_copy(update={"engagement": Engagement(
        likes=500, observed_at=datetime(2026, 11, 2, tzinfo=UTC))})  # fmt: skip
    assert stage.handle(_received([updated])) == []  # observed in November, published in October

    oct_index = mention_index(settings, "agence-horizon", october.published_at)
    nov_index = mention_index(settings, "agence-horizon", november.published_at)
    assert oct_index != nov_index
    alias = mentions_alias(settings, "agence-horizon")
    es.indices.refresh(index=alias)
    assert es.count(index=oct_index)["count"] == 1
    assert es.count(index=nov_index)["count"] == 1
    assert es.count(index=alias)["count"] == 2  # the update replaced, nothing duplicated
    hit = es.search(index=alias, query={"ids": {"values": [october.id]}})["hits"]["hits"]
    assert [(h["_index"], h["_source"]["engagement"]["likes"]) for h in hit] == [(oct_index, 500)]
    assert set(es.indices.get_alias(name=alias)) == {oct_index, nov_index}


def test_mapping_is_strict_and_takes_a_complete_mention(noida_config: VeilleConfig) -> None:
    es = _ready(noida_config)
    settings = noida_config.elasticsearch
    full = enriched(mention("Air Volaris, avis complet"), 0.3).model_copy(update={
        "title": "Un titre", "language": "fr",
        "cluster": NearDuplicateCluster(id="c" * 32, size=2),
        "engagement": Engagement(likes=1, reposts=2, replies=3,
                                 observed_at=datetime(2026, 11, 21, 22, tzinfo=UTC)),
    })  # fmt: skip
    index = mention_index(settings, full.tenant, full.published_at)
    es.index(index=index, id=full.id, document=full.model_dump(mode="json"), refresh=True)
    with pytest.raises(BadRequestError, match="strict"):
        es.index(index=index, id="x", document={"id": "x", "surprise": 1})


def test_handles_match_without_case_or_accents(noida_config: VeilleConfig) -> None:
    es = _ready(noida_config)
    settings = noida_config.elasticsearch
    doc = enriched(mention("Air Volaris"), 0.0)
    doc = doc.model_copy(update={"author": doc.author.model_copy(update={"handle": "@Élodie"})})
    es.index(index=mention_index(settings, doc.tenant, doc.published_at), id=doc.id,
             document=doc.model_dump(mode="json"), refresh=True)  # fmt: skip
    found = es.search(index=mentions_alias(settings, doc.tenant),
                      query={"term": {"author.handle": "@elodie"}})  # fmt: skip
    assert found["hits"]["total"]["value"] == 1
