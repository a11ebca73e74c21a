"""Retention and erasure on the embedded engine: whole expired months dropped per tenant,
one author's mentions removed everywhere, incidents' top posts included."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from history.erasure import erase_author
from history.retention import apply_retention
from runtime.indices import (
    incidents_alias,
    make_client,
    mention_index,
    mentions_alias,
    response_index,
    responses_alias,
)
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention
from schemas.reply_record import FirstReply, OverdueNotice
from tests.history_data import dated, store, stored_incident
from veille.cli import main

pytestmark = pytest.mark.integration


def _names(config: VeilleConfig, alias: str) -> set[str]:
    es = make_client(config.elasticsearch)
    return set(es.indices.get_alias(name=alias)) if es.indices.exists_alias(name=alias) else set()


def test_retention_drops_whole_expired_months_of_each_tenant_only(
    noida_config: VeilleConfig, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    settings = noida_config.elasticsearch
    old = dated("Air Volaris en retard", -0.5, hours_ago=24 * 100, now=now)
    recent = dated("Air Volaris à l'heure", 0.5, hours_ago=24 * 3, now=now)
    lumen_old = dated(
        "Lumen", 0.1, hours_ago=24 * 100, tenant="maison-lumen", brand="lumen", now=now
    )
    store(noida_config, [old, recent, lumen_old])
    stored_incident(noida_config, [old], opened_at=old.published_at)
    horizon = noida_config.tenants[0].model_copy(update={"retention_days": 30})
    lumen = noida_config.tenants[1]  # default 400 days: nothing of it expires
    old_index = mention_index(settings, "agence-horizon", old.published_at)
    es = make_client(settings)

    with caplog.at_level(logging.INFO, logger="history.retention"):
        planned = apply_retention(es, settings, [horizon, lumen], now, dry_run=True)
    assert {p.index for p in planned} == {
        old_index,
        next(iter(_names(noida_config, incidents_alias(settings, "agence-horizon")))),
    }
    assert "no ILM" in caplog.text
    assert old_index in _names(noida_config, mentions_alias(settings, "agence-horizon"))

    dropped = apply_retention(es, settings, [horizon, lumen], now)
    assert dropped == planned
    left = _names(noida_config, mentions_alias(settings, "agence-horizon"))
    assert left == {mention_index(settings, "agence-horizon", recent.published_at)}
    assert _names(noida_config, incidents_alias(settings, "agence-horizon")) == set()
    assert es.count(index=mentions_alias(settings, "maison-lumen"))["count"] == 1
    assert apply_retention(es, settings, [horizon, lumen], now) == []  # again: nothing left


ANSWERED: dict[str, Any] = {"answered_at": datetime(2026, 1, 1, tzinfo=UTC),
                            "reply_seconds": 1800.0, "on_time": True}  # fmt: skip


def _response_records(config: VeilleConfig, answered: EnrichedMention,
                      overdue: EnrichedMention, other: EnrichedMention) -> None:  # fmt: skip
    """A first reply to `answered` and to `other`, an overdue notice of `overdue`."""
    settings, es = config.elasticsearch, make_client(config.elasticsearch)
    for post, record in (
        (answered, FirstReply(id=answered.id, reply_id="b" * 32, **_post(answered), **ANSWERED)),
        (other, FirstReply(id=other.id, reply_id="c" * 32, **_post(other), **ANSWERED)),
        (overdue, OverdueNotice(id="d" * 32, post_id=overdue.id,
                                notified_at=overdue.published_at, **_post(overdue))),
    ):  # fmt: skip
        index = response_index(settings, post.tenant, post.published_at)
        es.index(index=index, id=record.id, document=record.model_dump(mode="json"))
    es.indices.refresh(index=responses_alias(settings, answered.tenant))


def _post(post: EnrichedMention) -> dict[str, Any]:
    at = post.published_at
    return {"tenant": post.tenant, "team": "advisers", "week": at.strftime("%G-W%V"),
            "brands": post.brands, "intent": "service_request", "source_kind": "rss",
            "url": post.url, "published_at": at, "due_at": at + timedelta(hours=1)}  # fmt: skip


def test_erase_removes_the_authors_mentions_and_their_citations(
    noida_config: VeilleConfig,
) -> None:
    now = datetime.now(UTC)
    settings = noida_config.elasticsearch
    theirs = [
        dated(f"Air Volaris nul {i}", -0.7, hours_ago=24 * 20 * i + 1, handle="@Fautif", now=now)
        for i in range(3)
    ]
    others = [
        dated(f"Air Volaris bof {i}", 0.0, hours_ago=i + 2, handle="@autre", now=now)
        for i in range(2)
    ]
    lumen = dated(
        "Lumen", 0.1, hours_ago=1, tenant="maison-lumen", brand="lumen", handle="@fautif", now=now
    )
    store(noida_config, [*theirs, *others, lumen])
    stored_incident(noida_config, [theirs[0], others[0]], now - timedelta(hours=1), "inc-a")
    stored_incident(noida_config, [others[1]], now - timedelta(hours=2), "inc-b")
    _response_records(noida_config, answered=theirs[0], overdue=theirs[1], other=others[0])
    es = make_client(settings)

    preview = erase_author(es, settings, "agence-horizon", "@fautif", dry_run=True)
    assert (preview.mentions, preview.incidents, preview.top_mentions) == (3, 1, 1)
    assert preview.replies == 2
    assert es.count(index=mentions_alias(settings, "agence-horizon"))["count"] == 5

    done = erase_author(es, settings, "agence-horizon", "@fautif")  # handle case folded
    assert (done.mentions, done.incidents, done.top_mentions, done.replies) == (3, 1, 1, 2)
    kept = es.search(index=responses_alias(settings, "agence-horizon"), size=10)["hits"]["hits"]
    assert [h["_id"] for h in kept] == [others[0].id]  # the other author's first reply
    es.indices.refresh(index=mentions_alias(settings, "agence-horizon"))
    left = es.search(index=mentions_alias(settings, "agence-horizon"), size=10)["hits"]["hits"]
    assert sorted(h["_source"]["id"] for h in left) == sorted(m.id for m in others)
    incidents = {
        h["_id"]: h["_source"]
        for h in es.search(index=incidents_alias(settings, "agence-horizon"), size=10)["hits"][
            "hits"
        ]
    }
    assert [m["id"] for m in incidents["inc-a"]["top_mentions"]] == [others[0].id]
    assert [m["id"] for m in incidents["inc-b"]["top_mentions"]] == [others[1].id]
    assert es.count(index=mentions_alias(settings, "maison-lumen"))["count"] == 1  # other tenant
    again = erase_author(es, settings, "agence-horizon", "@fautif")
    assert (again.mentions, again.incidents, again.top_mentions, again.replies) == (0, 0, 0, 0)


def test_index_commands_report_counts(
    noida_config: VeilleConfig, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from tests.helpers import write_config

    now = datetime.now(UTC)
    store(noida_config, [dated("Air Volaris", -0.5, hours_ago=5, handle="@x", now=now)])
    path = write_config(noida_config, Path(str(tmp_path)) / "veille.yaml")
    assert (
        main(
            [
                "--config",
                str(path),
                "index",
                "erase",
                "--tenant",
                "agence-horizon",
                "--author",
                "@x",
            ]
        )
        == 0
    )
    assert "removed 1 mention(s) by @x, and 0 citation(s) of them in 0 incident(s)" in (
        capsys.readouterr().out
    )
    assert main(["--config", str(path), "index", "retention", "--dry-run"]) == 0
    assert "would drop 0 index(es)" in capsys.readouterr().err
