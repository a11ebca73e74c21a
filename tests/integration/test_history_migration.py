"""`veille index migrate` on the embedded engine: a new mapping version copies every month into
`.v2-` indices while a writer keeps updating mentions, and no update is lost or duplicated."""

import copy
import random
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import runtime.indices.templates as templates
from history.migration import migrate
from runtime.indices import make_client, mention_index, mentions_alias
from schemas.config import VeilleConfig
from schemas.mention import Engagement
from tests.helpers import write_config
from tests.history_data import dated, store
from veille.cli import main

pytestmark = pytest.mark.integration
NEW_FIELD = "migration_probe"


def _bump_mentions_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deploy 'the new code': mentions.json at version 2, with one more (additive) field."""
    original = templates.component

    def bumped(name: str) -> dict[str, Any]:
        body = original(name)
        if name != "mentions":
            return body
        body = copy.deepcopy(body)
        body["version"] += 1
        body["template"]["mappings"]["properties"][NEW_FIELD] = {"type": "keyword"}
        return body

    monkeypatch.setattr(templates, "component", bumped)


def test_migrate_with_concurrent_updates_keeps_every_latest_version_once(
    noida_config: VeilleConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = noida_config.elasticsearch
    now = datetime.now(UTC)
    docs = [
        dated(f"Air Volaris vol {i}", 0.1, hours_ago=24 * 12 * (i % 5), now=now) for i in range(240)
    ]
    store(noida_config, docs)
    es = make_client(settings)
    alias = mentions_alias(settings, "agence-horizon")
    v1_indices = set(es.indices.get_alias(name=alias))
    assert len(v1_indices) >= 2 and all(".v1-" in name for name in v1_indices)

    _bump_mentions_version(monkeypatch)
    templates.ensure_templates(es, settings, ["agence-horizon"])
    likes: dict[str, int] = {}
    lock = threading.Lock()

    def write_update(i: int, value: int) -> None:
        """What a writer running the new code does: the whole mention, to the v2 index."""
        doc = docs[i].model_copy(update={"engagement": Engagement(likes=value, observed_at=now)})
        with lock:  # the writer's own order is the order of its versions
            es.index(
                index=mention_index(settings, doc.tenant, doc.published_at),
                id=doc.id,
                document=doc.model_dump(mode="json"),
            )
            likes[doc.id] = value

    for i in range(0, 240, 7):  # updated before the copy: the copy must not overwrite them
        write_update(i, 1_000 + i)
    stop = threading.Event()
    writes = 0

    def writer() -> None:
        nonlocal writes
        rng = random.Random(14)
        while not stop.is_set():
            writes += 1
            write_update(rng.randrange(len(docs)), 2_000 + writes)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        moves = migrate(make_client(settings), settings, ["agence-horizon"], dry_run=False)
    finally:
        for _ in range(20):  # and a few more after the alias moved
            if writes > 20:
                break
            threading.Event().wait(0.05)
        stop.set()
        thread.join(timeout=30)
    assert writes > 0
    assert {m.source for m in moves} == v1_indices
    es.indices.refresh(index=alias)

    now_indices = set(es.indices.get_alias(name=alias))
    assert now_indices and all(".v2-" in name for name in now_indices)
    assert not any(es.indices.exists(index=name) for name in v1_indices)
    mapping = es.indices.get_mapping(index=sorted(now_indices)[0])
    assert NEW_FIELD in next(iter(mapping.values()))["mappings"]["properties"]
    hits = es.search(index=alias, size=1000, query={"match_all": {}})["hits"]["hits"]
    ids = [hit["_id"] for hit in hits]
    assert sorted(ids) == sorted(d.id for d in docs)  # each id once, none lost
    for hit in hits:
        engagement = hit["_source"].get("engagement")
        expected = likes.get(hit["_id"])
        got = None if engagement is None else engagement["likes"]
        assert got == expected, hit["_id"]


def test_dry_run_plans_and_changes_nothing_then_a_second_run_has_nothing_to_do(
    noida_config: VeilleConfig,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = noida_config.elasticsearch
    store(noida_config, [dated("Air Volaris", 0.2, hours_ago=3)])
    es = make_client(settings)
    alias = mentions_alias(settings, "agence-horizon")
    before = set(es.indices.get_alias(name=alias))
    _bump_mentions_version(monkeypatch)

    planned = migrate(es, settings, ["agence-horizon", "maison-lumen"], dry_run=True)
    assert [(m.source, m.documents) for m in planned] == [(next(iter(before)), 1)]
    assert planned[0].target.replace(".v2-", ".v1-") == planned[0].source
    assert set(es.indices.get_alias(name=alias)) == before
    assert not es.indices.exists(index=planned[0].target)

    path = write_config(noida_config, tmp_path / "veille.yaml")
    argv = ["--config", str(path), "index", "migrate", "--tenant", "agence-horizon"]
    assert main([*argv, "--dry-run"]) == 0
    assert f"would copy {planned[0].source} → {planned[0].target}  (1 document(s))" in (
        capsys.readouterr().out
    )
    assert main(argv) == 0
    assert f"copied {planned[0].source} → {planned[0].target}" in capsys.readouterr().out
    assert migrate(es, settings, ["agence-horizon"], dry_run=False) == []
    assert es.count(index=alias)["count"] == 1
