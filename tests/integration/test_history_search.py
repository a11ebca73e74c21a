"""Search over a tenant's history on the embedded engine: the brand query translated, filters,
point-in-time pages, the CLI; and no read of project code reaching another tenant."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from history.search import (
    CrossTenantRead,
    MentionFilter,
    SearchInputError,
    get_mention,
    iterate,
    open_pit,
    page,
)
from runtime.indices import make_client, mentions_alias
from schemas.brand_query import QueryError
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention, Intent, IntentLabel
from tests.helpers import write_config
from tests.history_data import dated, store
from veille.cli import main

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


@pytest.fixture
def history(noida_config: VeilleConfig) -> VeilleConfig:
    store(noida_config, [
        _intent(dated("Air Volaris: vol annulé, aucun remboursement", -0.8, 2, virality=80),
                "service_request"),
        _intent(dated("Air Volaris encore en retard ce matin", -0.5, 30), "complaint"),
        dated("Merci Air Volaris, équipage adorable", 0.7, 24 * 12),  # ~12 days: crosses months
        dated("Lumen: les lampes en retard, remboursement demandé", -0.6, 3,
              tenant="maison-lumen", brand="lumen"),
    ])  # fmt: skip
    return noida_config


def _intent(doc: EnrichedMention, label: IntentLabel) -> EnrichedMention:
    return doc.model_copy(
        update={
            "intent": Intent(
                label=label, probabilities={label: 0.9}, model="test", model_version="0"
            )
        }
    )


def _search(config: VeilleConfig, query: str | None, days: float = 7, tenant: str =
            "agence-horizon", **rest: object) -> list[str]:  # fmt: skip
    es = make_client(config.elasticsearch)
    where = MentionFilter.checked(tenant, NOW - timedelta(days=days), NOW, NOW, query=query,
                                  **rest)  # fmt: skip
    return [s["text"] for s in iterate(es, config.elasticsearch, where, None, page_size=1)]


def test_brand_query_is_translated(history: VeilleConfig) -> None:
    assert _search(history, '"air volaris" AND (rembours* OR retard)') == [
        "Air Volaris: vol annulé, aucun remboursement",
        "Air Volaris encore en retard ce matin",
    ]
    assert _search(history, "volaris -annulé") == ["Air Volaris encore en retard ce matin"]
    assert _search(history, "volaris", days=30, sentiment="positive") == [
        "Merci Air Volaris, équipage adorable"]  # fmt: skip
    assert _search(history, "retard lang:fr source:test") == [
        "Air Volaris encore en retard ce matin"]  # fmt: skip


def test_intent_is_searchable_bare_and_with_words(history: VeilleConfig) -> None:
    assert _search(history, "intent:service_request", days=30) == [
        "Air Volaris: vol annulé, aucun remboursement"]  # fmt: skip
    assert _search(history, "volaris -intent:service_request", days=30) == [
        "Air Volaris encore en retard ce matin",
        "Merci Air Volaris, équipage adorable",
    ]
    assert _search(history, "intent:complaint OR intent:praise lang:fr", days=30) == [
        "Air Volaris encore en retard ce matin"]  # fmt: skip
    with pytest.raises(QueryError, match="unknown intent 'refund'"):
        _search(history, "intent:refund")


def test_pages_of_one_point_in_time_neither_skip_nor_repeat(history: VeilleConfig) -> None:
    es = make_client(history.elasticsearch)
    where = MentionFilter.checked("agence-horizon", NOW - timedelta(days=30), NOW, NOW)
    pit = open_pit(es, history.elasticsearch, "agence-horizon")
    first = page(es, history.elasticsearch, where, 2, pit)
    assert first.total == 3 and len(first.hits) == 2 and first.after is not None
    second = page(es, history.elasticsearch, where, 2, first.pit or pit, first.after)
    ids = [h["_id"] for h in first.hits + second.hits]
    assert len(ids) == len(set(ids)) == 3 and second.after is None


def test_bad_input_says_where(history: VeilleConfig) -> None:
    with pytest.raises(QueryError) as error:
        _search(history, "volaris AND (retard")
    assert error.value.position == 12
    with pytest.raises(QueryError, match="unknown field 'auteur'"):
        _search(history, "auteur:bob volaris")
    with pytest.raises(SearchInputError, match="inverted"):
        MentionFilter.checked("t", NOW, NOW - timedelta(hours=1), NOW)
    with pytest.raises(SearchInputError, match="future"):
        MentionFilter.checked("t", NOW + timedelta(hours=1), NOW + timedelta(hours=2), NOW)


def test_no_read_reaches_another_tenant(history: VeilleConfig) -> None:
    es = make_client(history.elasticsearch)
    settings = history.elasticsearch
    horizon = mentions_alias(settings, "agence-horizon")
    lumen_ids = [h["_id"] for h in es.search(index=mentions_alias(settings, "maison-lumen"))[
        "hits"]["hits"]]  # fmt: skip
    assert lumen_ids
    # search and get by id through the tenant's alias find nothing of the other tenant
    assert es.search(index=horizon, query={"ids": {"values": lumen_ids}})["hits"]["hits"] == []
    assert get_mention(es, settings, "agence-horizon", lumen_ids[0]) is None
    assert get_mention(es, settings, "maison-lumen", lumen_ids[0]) is not None
    assert _search(history, "lumen OR rembours*") == [
        "Air Volaris: vol annulé, aucun remboursement"
    ]
    # aggregations
    aggs = es.search(index=horizon, size=0, aggs={"t": {"terms": {"field": "tenant"}}})
    assert [b["key"] for b in aggs["aggregations"]["t"]["buckets"]] == ["agence-horizon"]
    # scroll
    scrolled = es.search(index=horizon, scroll="1m", size=10)
    assert {h["_source"]["tenant"] for h in scrolled["hits"]["hits"]} == {"agence-horizon"}
    es.clear_scroll(scroll_id=scrolled["_scroll_id"])
    # a point in time of the other tenant, handed to a search for this one, is refused
    lumen_pit = open_pit(es, settings, "maison-lumen")
    where = MentionFilter.checked("agence-horizon", NOW - timedelta(days=7), NOW, NOW)
    with pytest.raises(CrossTenantRead, match="maison-lumen"):
        page(es, settings, where, 10, lumen_pit)
    # and a tenant pattern never names another's index
    assert es.indices.get_alias(index=f"{settings.index_prefix}mentions-agence.*",
                                ignore_unavailable=True, allow_no_indices=True) == {}  # fmt: skip


def test_search_command(history: VeilleConfig, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    path = write_config(history, tmp_path / "veille.yaml")
    assert main(["--config", str(path), "search", "volaris", "--tenant", "agence-horizon",
                 "--since", "7d", "--sentiment", "negative", "--format", "csv"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("published_at,sentiment,score,virality,author")
    assert len(lines) == 3 and all(",negative," in line for line in lines[1:])
    assert main(["--config", str(path), "search", "volaris (", "--tenant",
                 "agence-horizon"]) == 2  # fmt: skip
    assert "position 9" in capsys.readouterr().err


def test_a_tenant_with_nothing_indexed_yet_has_no_mentions(noida_config: VeilleConfig) -> None:
    """Before the first mention is indexed the tenant has no index nor read alias: reading it
    (the response watch ticks from the start) is an empty history, not a 404 traceback."""
    assert _search(noida_config, None) == []
