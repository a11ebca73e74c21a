"""Bad input, each through a real local server and the real broker: every broken source gets
a clear error of its own in its health (and the log), and the good feed polled in the same
round still produces its mentions."""

import gzip
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.config import VeilleConfig
from schemas.mention import Mention
from schemas.topics import Topics
from tests.helpers import make_config, read_topic
from tests.local_http import LocalHttp, Reply
from veille.demo.feed_server import render_rss
from veille.demo.stream import DemoPost
from veille.runner import build_ingest, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
GOOD = render_rss(
    [DemoPost("g1", AT, "a", "Vol", "Air Volaris encore en retard", False)], "http://127.0.0.1"
)
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10)
        for i in range(1, 12)
    )
    + b']><rss version="2.0"><channel><item><guid>1</guid><title>&a11;</title></item>'
    b"</channel></rss>"
)


BOMB_GZ = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB of zeros in about 64 KB


def feed_config(
    stack: EmbeddedStack,
    tmp_path: Path,
    sources: list[dict[str, Any]],
    allow: list[str] | None = None,
) -> VeilleConfig:
    return make_config(
        stack.kafka_bootstrap,
        stack.elasticsearch_url,
        ingest={
            "state_dir": str(tmp_path),
            "max_redirects": 3,
            "allow_networks": ["127.0.0.1/32"] if allow is None else allow,
        },
        sources=sources,
    )


def test_each_bad_feed_fails_alone_with_its_reason(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=900), usegmt=True)
    routes = {
        "malformed": Reply(body=b"<<<this is not <xml at all &&&"),
        "bomb": Reply(body=BOMB),
        "huge": Reply(body=b"<rss>" + b"x" * 65536, chunks=400),  # 26 MB, no Content-Length
        "declared-huge": Reply(body=b"", headers={"Content-Length": str(300 * 1024 * 1024)}),
        "gzip-bomb": Reply(body=BOMB_GZ, headers={"Content-Encoding": "gzip"}),
        "slow": Reply(body=GOOD, delay_s=3.0),
        "limited": Reply(429, b"slow down", {"Retry-After": "120"}),
        "unavailable": Reply(503, b"", {"Retry-After": later}),
        "server-error": Reply(500, b"boom"),
        "loop": Reply(302, b"", {"Location": "/loop"}),
        "to-metadata": Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}),
        "good": Reply(body=GOOD, headers={"ETag": '"g"'}),
    }
    limiting = LocalHttp()  # a host that asks to wait is left alone: keep it apart
    for name, reply in routes.items():
        (limiting if name in ("limited", "unavailable") else http).route(f"/{name}", reply)
    base = {n: limiting.base if n in ("limited", "unavailable") else http.base for n in routes}
    sources = [
        {
            "id": name,
            "type": "rss",
            "url": f"{base[name]}/{name}",
            "timeout_s": 1.0,
            "max_bytes": 1024 * 1024,
        }
        for name in routes
    ]
    config = feed_config(stack, tmp_path, sources)
    prepare(config)
    worker = build_ingest(config, threading.Event())
    with caplog.at_level(logging.WARNING):
        produced = worker.run_once()
    health = worker.stats.health
    errors = {name: health[name].last_error or "" for name in routes}
    assert produced == 1 and health["good"].last_error is None
    assert "not a feed" in errors["malformed"]
    assert "declares XML entities" in errors["bomb"]
    assert "exceeds the 1048576 B cap" in errors["huge"]
    assert "body of 314572800 B exceeds" in errors["declared-huge"]
    assert "timed out after 1 s" in errors["slow"]
    assert "decompressed body exceeds the 1048576 B cap" in errors["gzip-bomb"]
    assert "HTTP 429, retry after 120 s" in errors["limited"]
    assert "HTTP 503, retry after" in errors["unavailable"]
    assert "HTTP 500" in errors["server-error"]
    assert "too many redirects" in errors["loop"]
    assert "169.254.169.254" in errors["to-metadata"] and "non-public" in errors["to-metadata"]
    assert not http.hits("/latest/meta-data/")
    # the server's Retry-After pushes the next poll back; a plain 500 only backs off
    assert worker.scheduler.next_poll["limited"] - time.monotonic() > 100
    assert worker.scheduler.next_poll["unavailable"] - time.monotonic() > 800
    assert worker.scheduler.next_poll["server-error"] - time.monotonic() < 400
    for name in routes:
        if name != "good":
            assert any(
                name in r.getMessage() and errors[name] in r.getMessage() for r in caplog.records
            ), name
    raw = Topics(config.kafka.topic_prefix).raw
    mentions = [Mention.model_validate_json(v) for v in read_topic(config, raw, 1)]
    assert [(m.native_id, m.tenant) for m in mentions] == [("g1", "agence-horizon")]
    worker.close()
    limiting.close()


def test_private_addresses_are_refused_unless_allowed(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    http.route("/feed", Reply(body=GOOD))
    sources = [{"id": "local", "type": "rss", "url": f"{http.base}/feed"}]
    refused = build_ingest(feed_config(stack, tmp_path / "a", sources, allow=[]), threading.Event())
    assert refused.run_once() == 0
    assert "non-public address 127.0.0.1" in (refused.stats.health["local"].last_error or "")
    assert not http.requests  # refused before connecting
    refused.close()
    config = feed_config(stack, tmp_path / "b", sources, allow=["127.0.0.0/8"])
    prepare(config)
    allowed = build_ingest(config, threading.Event())
    assert allowed.run_once() == 1
    allowed.close()


def test_invalid_utf8_and_scripts_are_handled_and_logged(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = render_rss(
        [
            DemoPost("u1", AT, "a", "Vol", "Air Volaris XBADX rembourse enfin", False),
            DemoPost("s1", AT, "b", "Pub", "<script>air volaris</script>Rien à voir", False),
        ],
        "http://127.0.0.1",
    ).replace(b"XBADX", b"\xff\xfe")
    http.route("/feed", Reply(body=body))
    config = feed_config(stack, tmp_path, [{"id": "f", "type": "rss", "url": f"{http.base}/feed"}])
    prepare(config)
    worker = build_ingest(config, threading.Event())
    with caplog.at_level(logging.WARNING):
        assert worker.run_once() == 1
    assert any("invalid UTF-8 at byte" in r.getMessage() for r in caplog.records)
    raw = Topics(config.kafka.topic_prefix).raw
    [mention] = [Mention.model_validate_json(v) for v in read_topic(config, raw, 1)]
    assert mention.native_id == "u1" and "\ufffd" in mention.text
    worker.close()


def test_a_host_retry_after_holds_every_source_on_that_host(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    http.route("/a", Reply(429, b"", {"Retry-After": "300"}))
    http.route("/b", Reply(body=GOOD))
    sources = [{"id": n, "type": "rss", "url": f"{http.base}/{n}"} for n in ("a", "b")]
    config = feed_config(stack, tmp_path, sources)
    worker = build_ingest(config, threading.Event())
    worker.scheduler.next_poll["b"] = time.monotonic() + 3600  # b is not due in the first round
    assert worker.run_once() == 0
    worker.scheduler.next_poll["b"] = 0.0
    assert worker.run_once() == 0
    assert "Retry-After" in (worker.stats.health["b"].last_error or "")
    assert not http.hits("/b")  # the host was left alone
    worker.close()
