"""Event time guarded at ingest's doors, through the real broker: a source's item dated
ahead of its fetch or before the floor is a dead letter with the reason (never re-dated);
a pushed one is a 400 naming `N.published_at`, and nothing of that request is stored."""

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.config import VeilleConfig
from schemas.deadletter import DeadLetter
from schemas.mention import Mention
from schemas.topics import Topics
from tests.helpers import free_port, make_config, read_topic, wait_until
from veille.runner import build_ingest, build_push, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
RULE = {"max_future_skew_s": 300, "max_age_days": 30}
DATES = {
    "fine": NOW - timedelta(hours=1),
    "a-day-ahead": NOW + timedelta(days=1),
    "year-9999": datetime(9999, 12, 31, tzinfo=UTC),
    "year-1": datetime(1, 1, 1, tzinfo=UTC),
    "too-old": NOW - timedelta(days=31),
}


def post(pid: str, at: datetime) -> dict[str, Any]:
    return {
        "id": pid,
        "text": f"Air Volaris {pid}",
        "published_at": at.isoformat(),
        "url": f"https://forum.example/t/{pid}",
        "author": {"handle": "@a"},
    }


def config_for(stack: EmbeddedStack, tmp_path: Path, **extra: Any) -> VeilleConfig:
    config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url, event_time=RULE, **extra)
    prepare(config)
    return config


def test_a_misdated_source_item_is_dead_lettered_with_its_reason(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(post(pid, at)) + "\n" for pid, at in DATES.items()))
    config = config_for(
        stack,
        tmp_path,
        ingest={"state_dir": str(tmp_path / "state")},
        sources=[{"id": "file", "type": "replay", "path": str(path)}],
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1
    worker.scheduler.next_poll["file"] = 0.0
    path.write_text(path.read_text())  # same posts, new file: read again from the start
    assert worker.run_once() == 0  # refused items are remembered, never retried forever
    worker.close()
    topics = Topics(config.kafka.topic_prefix)
    [fine] = [Mention.model_validate_json(v) for v in read_topic(config, topics.raw, 1)]
    assert fine.native_id == "fine" and fine.published_at == DATES["fine"]
    letters = [DeadLetter.model_validate_json(v) for v in read_topic(config, topics.dlq, 4)]
    reasons = {next(p for p in DATES if f"'{p}'" in d.error): d.error for d in letters}
    assert sorted(reasons) == ["a-day-ahead", "too-old", "year-1", "year-9999"]
    assert "after it was received" in reasons["a-day-ahead"] and "300 s" in reasons["a-day-ahead"]
    assert "9999-12-31" in reasons["year-9999"]
    assert "older than 30 days" in reasons["year-1"] and "older than" in reasons["too-old"]
    assert all(d.stage == "ingest" and d.error.startswith("file: item") for d in letters)


def test_a_misdated_pushed_post_is_a_400_naming_the_field(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    port = free_port()
    push = {"port": port, "tokens": {"agence-horizon": "tok-h"}}
    config = config_for(stack, tmp_path, ingest={"state_dir": str(tmp_path), "push": push})
    stop = threading.Event()
    service = build_push(config, stop)
    runner = threading.Thread(target=service.run, daemon=True)
    runner.start()
    url = f"http://127.0.0.1:{port}/ingest/agence-horizon"
    auth = {"Authorization": "Bearer tok-h"}
    try:
        with httpx.Client(timeout=10) as client:
            wait_until(lambda: _answers(client, url), what="the push endpoint")
            for name in ("a-day-ahead", "year-9999", "year-1"):
                body = [post("ok", DATES["fine"]), post(name, DATES[name])]
                refused = client.post(url, json=body, headers=auth)
                assert refused.status_code == 400, name
                [problem] = refused.json()["problems"]
                assert problem.startswith("1.published_at: published_at "), problem
            ok = client.post(url, json=[post("ok", DATES["fine"])], headers=auth)
            assert ok.status_code == 202 and ok.json() == {"accepted": 1, "mentions": 1}
    finally:
        stop.set()
        runner.join(10)
    raw = read_topic(config, Topics(config.kafka.topic_prefix).raw, 1)
    assert [Mention.model_validate_json(v).native_id for v in raw] == ["ok"]  # nothing else


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        client.post(url)
    except httpx.TransportError:
        return False
    return True
