"""Durability and health through the real broker: cursors and seen ids survive a restart,
Kafka down slows ingest without losing items, the same post through two sources is one
mention, a failing source produces source_silent then source_recovered on ingest.health."""

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingest.sources.base import FeedItem, Fetched
from schemas.config import VeilleConfig
from schemas.deadletter import DeadLetter
from schemas.health import SourceHealthEvent
from schemas.mention import Mention
from schemas.topics import Topics
from tests.helpers import free_port, make_config, read_topic
from tests.local_http import LocalHttp, Reply, Request
from tests.tansu import TansuBroker
from veille.cli import main
from veille.demo.feed_server import render_rss
from veille.demo.stream import DemoPost
from veille.runner import build_ingest, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def post(native_id: str, text: str = "Air Volaris: vol annulé") -> DemoPost:
    return DemoPost(native_id, AT, "auteur", "Titre", text, False)


class VersionedFeed:
    """An RSS feed whose ETag is its version; answers 304 to the current ETag."""

    def __init__(self, posts: list[DemoPost]) -> None:
        self.posts = posts

    def __call__(self, request: Request) -> Reply:
        etag = f'"{len(self.posts)}"'
        if request.headers.get("If-None-Match") == etag:
            return Reply(304)
        return Reply(body=render_rss(self.posts, "http://127.0.0.1"), headers={"ETag": etag})


def config_for(
    bootstrap: str, es: str, state: Path, sources: list[dict[str, Any]], **ingest: Any
) -> VeilleConfig:
    settings = {"state_dir": str(state), "allow_networks": ["127.0.0.1/32"], **ingest}
    return make_config(bootstrap, es, ingest=settings, sources=sources)


def raw_mentions(config: VeilleConfig, expected: int) -> list[Mention]:
    values = read_topic(config, Topics(config.kafka.topic_prefix).raw, expected)
    return [Mention.model_validate_json(v) for v in values]


def test_restart_resumes_from_the_committed_cursor(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    feed = VersionedFeed([post("a"), post("b")])
    http.route("/feed", feed)
    sources = [{"id": "news", "type": "rss", "url": f"{http.base}/feed"}]
    config = config_for(stack.kafka_bootstrap, stack.elasticsearch_url, tmp_path, sources)
    prepare(config)
    first = build_ingest(config, threading.Event())
    assert first.run_once() == 2
    first.close()

    second = build_ingest(config, threading.Event())  # a new process: same state_dir
    assert second.run_once() == 0
    assert http.hits("/feed")[-1].headers.get("If-None-Match") == '"2"'
    feed.posts.append(post("c"))
    second.scheduler.next_poll["news"] = 0.0
    assert second.run_once() == 1  # only c: a and b were remembered across the restart
    second.close()
    assert sorted(m.native_id for m in raw_mentions(config, 3)) == ["a", "b", "c"]


def test_kafka_down_slows_ingest_and_loses_nothing(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    broker = TansuBroker(free_port(), tmp_path / "tansu.log")
    broker.start()
    feed = VersionedFeed([post("a")])
    http.route("/feed", feed)
    sources = [{"id": "news", "type": "rss", "url": f"{http.base}/feed"}]
    config = config_for(
        broker.bootstrap,
        stack.elasticsearch_url,
        tmp_path / "state",
        sources,
        produce_timeout_s=2.0,
    )
    try:
        prepare(config)
        worker = build_ingest(config, threading.Event())
        assert worker.run_once() == 1
        broker.stop()
        feed.posts.append(post("b"))
        worker.scheduler.next_poll["news"] = 0.0
        assert worker.run_once() == 0  # Kafka did not take b: nothing remembered
        assert worker._store.cursor("news") == {"etag": '"1"'}
        assert not worker._store.seen("news", ["b"])
        assert worker.scheduler.next_poll["news"] > time.monotonic()  # backed off, not dropped
        requests = len(http.hits("/feed"))
        worker.scheduler.next_poll["news"] = 0.0
        assert worker.run_once() == 0
        assert len(http.hits("/feed")) == requests  # paused: nothing fetched while Kafka is down
        worker.close()
        broker.start()
        prepare(config)  # tansu keeps topics in memory: create them again
        restarted = build_ingest(config, threading.Event())
        assert restarted.run_once() == 1  # b, fetched again since its cursor never moved
        restarted.close()
        assert [m.native_id for m in raw_mentions(config, 1)] == ["b"]  # b, and only b
    finally:
        broker.stop()


def test_the_same_post_through_two_sources_is_one_mention(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    same = post("x")  # both feeds link to /posts/x (with different tracking parameters)
    http.route("/one", Reply(body=render_rss([same], "http://127.0.0.1")))
    other = render_rss([same], "http://127.0.0.1").replace(b"utm_source=rss", b"utm_medium=b")
    http.route("/two", Reply(body=other.replace(b">x</guid>", b">other-guid-x</guid>")))
    sources = [
        {"id": "one", "type": "rss", "url": f"{http.base}/one"},
        {"id": "two", "type": "rss", "url": f"{http.base}/two"},
    ]
    config = config_for(stack.kafka_bootstrap, stack.elasticsearch_url, tmp_path, sources)
    prepare(config)
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1
    worker.close()
    [mention] = raw_mentions(config, 1)
    assert mention.url == "http://127.0.0.1/posts/x"


def test_a_failing_source_goes_silent_then_recovers(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = {"up": False}
    http.route(
        "/feed",
        lambda r: (
            Reply(body=render_rss([post("a")], "http://127.0.0.1"))
            if state["up"]
            else Reply(500, b"down")
        ),
    )
    http.route("/other", Reply(body=render_rss([post("o")], "http://127.0.0.1")))
    sources = [
        {"id": "flaky", "type": "rss", "url": f"{http.base}/feed", "tenants": ["agence-horizon"]},
        {"id": "other", "type": "rss", "url": f"{http.base}/other"},
    ]
    config = config_for(
        stack.kafka_bootstrap, stack.elasticsearch_url, tmp_path, sources, silent_after_errors=3
    )
    prepare(config)
    worker = build_ingest(config, threading.Event())
    for _ in range(4):
        worker.scheduler.next_poll = dict.fromkeys(worker.scheduler.next_poll, 0.0)
        worker.run_once()
    path = tmp_path / "veille.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    assert main(["--config", str(path), "ingest", "health"]) == 1
    assert "SILENT" in capsys.readouterr().out.split("flaky")[1].splitlines()[0]
    state["up"] = True
    worker.scheduler.next_poll = dict.fromkeys(worker.scheduler.next_poll, 0.0)
    worker.run_once()
    assert main(["--config", str(path), "ingest", "health"]) == 0
    worker.close()
    health = Topics(config.kafka.topic_prefix).health
    events = [SourceHealthEvent.model_validate_json(v) for v in read_topic(config, health, 2)]
    assert [(e.event, e.reason, e.source) for e in events] == [
        ("source_silent", "failing", "flaky"),
        ("source_recovered", "recovered", "flaky"),
    ]
    silent = events[0]
    assert silent.consecutive_errors == 3 and "HTTP 500" in (silent.last_error or "")
    assert silent.tenants == ["agence-horizon"]
    assert worker.stats.health["other"].consecutive_errors == 0


class PoisonSource:
    """A source yielding one item that cannot become a Mention (empty native id)."""

    id = "poison"
    kind = "test"
    interval_s = 60.0
    tenants = None

    async def poll(self, client: object, cursor: dict[str, Any]) -> Fetched:
        def item(native_id: str) -> FeedItem:
            return FeedItem(native_id, None, None, "Air Volaris en retard", None, None, AT, "fr")

        return Fetched([item(""), item("fine")], {"n": 1})


def test_a_poison_item_is_dead_lettered_and_the_rest_goes_on(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    config = config_for(stack.kafka_bootstrap, stack.elasticsearch_url, tmp_path, [])
    prepare(config)
    worker = build_ingest(config, threading.Event(), sources=[PoisonSource()])
    assert worker.run_once() == 1
    worker.scheduler.next_poll["poison"] = 0.0
    assert worker.run_once() == 0  # the poison item is not retried forever
    worker.close()
    [fine] = raw_mentions(config, 1)
    assert fine.native_id == "fine"
    dlq = Topics(config.kafka.topic_prefix).dlq
    [letter] = [DeadLetter.model_validate_json(v) for v in read_topic(config, dlq, 1)]
    assert letter.stage == "ingest" and "poison: item ''" in letter.error


def test_the_running_worker_is_never_held_by_a_slow_source(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    fast = VersionedFeed([post("f1")])
    http.route("/fast", fast)
    http.route("/slow", Reply(body=render_rss([post("s1")], "http://127.0.0.1"), delay_s=4.0))
    sources = [
        {"id": "fast", "type": "rss", "url": f"{http.base}/fast", "poll_interval_s": 0.2},
        {"id": "slow", "type": "rss", "url": f"{http.base}/slow", "timeout_s": 30},
    ]
    config = config_for(stack.kafka_bootstrap, stack.elasticsearch_url, tmp_path, sources,
                        per_host_concurrency=4)  # fmt: skip
    prepare(config)
    stop = threading.Event()
    worker = build_ingest(config, stop)
    runner = threading.Thread(target=worker.run, daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 3.0  # well inside the slow feed's 4 s answer
        while time.monotonic() < deadline and worker.stats.mentions < 1:
            time.sleep(0.05)
        fast.posts.append(post("f2"))
        while time.monotonic() < deadline and worker.stats.mentions < 2:
            time.sleep(0.05)
        assert worker.stats.mentions == 2  # f1 and f2, while the slow feed still answers
        assert len(http.hits("/fast")) >= 2 and len(http.hits("/slow")) == 1
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()  # stopped cleanly, mid-poll of the slow source
    assert sorted(m.native_id for m in raw_mentions(config, 2)) == ["f1", "f2"]
