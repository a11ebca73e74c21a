"""RSS through a real HTTP server on 127.0.0.1 and the real broker: brand match, tenant
isolation, conditional GET, no re-emission across polls, a broken feed does not stop others."""

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.config import VeilleConfig
from schemas.mention import Mention, post_mention_id
from schemas.topics import Topics
from tests.helpers import make_config, read_topic
from tests.local_http import LocalHttp, Reply, conditional
from veille.demo.feed_server import render_rss
from veille.demo.stream import DemoPost
from veille.runner import build_ingest, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
POSTS = [
    DemoPost("p1", AT, "julie", "Vol annulé", "Air Volaris a annulé mon vol, c'est honteux", False),
    DemoPost("p2", AT, "marc", "Lumière", "Les lampes Lumen sont superbes", False),
    DemoPost("p3", AT, "sam", "Les deux", "Air Volaris et Lumen, même combat", False),
    DemoPost("p4", AT, "ines", "Rien", "Il fait beau à Lyon aujourd'hui", False),
    DemoPost("p5", AT, "tom", "Script", "<script>alert(1)</script>AIR  VOLÂRIS &amp; moi", False),
]


def test_rss_items_become_one_mention_per_tenant(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    http.route("/broken.xml", Reply(500))
    http.route("/feed.xml", conditional(render_rss(POSTS, "http://127.0.0.1"), '"v1"'))
    config: VeilleConfig = make_config(
        stack.kafka_bootstrap,
        stack.elasticsearch_url,
        ingest={"state_dir": str(tmp_path), "allow_networks": ["127.0.0.1/32"]},
        sources=[
            {"id": "broken", "type": "rss", "url": f"{http.base}/broken.xml"},
            {"id": "news", "type": "rss", "url": f"{http.base}/feed.xml"},
        ],
    )
    prepare(config)
    stop = threading.Event()
    worker = build_ingest(config, stop)
    first = worker.run_once()
    # make both due again
    worker.scheduler.next_poll = dict.fromkeys(worker.scheduler.next_poll, 0.0)
    second = worker.run_once()

    assert first == 5  # p1, p2, p5 once each; p3 once for each tenant
    assert second == 0  # 304 Not Modified
    feed_requests = http.hits("/feed.xml")
    assert feed_requests[-1].header("If-None-Match") == '"v1"'  # sources poll concurrently
    assert worker.stats.health["broken"].consecutive_errors == 2
    assert "HTTP 500" in (worker.stats.health["broken"].last_error or "")
    assert worker.stats.health["news"].consecutive_errors == 0

    raw = Topics(config.kafka.topic_prefix).raw
    mentions = [Mention.model_validate_json(v) for v in read_topic(config, raw, 5)]
    assert len(mentions) == 5
    by_native = {(m.native_id, m.tenant): m for m in mentions}
    assert set(by_native) == {
        ("p1", "agence-horizon"), ("p2", "maison-lumen"), ("p3", "agence-horizon"),
        ("p3", "maison-lumen"), ("p5", "agence-horizon"),
    }  # fmt: skip
    shared = by_native[("p3", "agence-horizon")], by_native[("p3", "maison-lumen")]
    assert shared[0].id != shared[1].id
    assert shared[0].brands == ["air-volaris"] and shared[1].brands == ["lumen"]
    assert all(m.id == post_mention_id(m.tenant, "news", m.native_id, m.url) for m in mentions)
    scripted = by_native[("p5", "agence-horizon")]
    assert scripted.text == "AIR VOLÂRIS & moi"
    assert scripted.url == "http://127.0.0.1/posts/p5"  # utm_source stripped
    assert scripted.published_at == AT
    worker.close()
