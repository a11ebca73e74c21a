"""The push endpoint under hostile input, through real HTTP on 127.0.0.1 and the real broker:
bad and lying Content-Lengths, idle connections, 50 parallel clients, deep JSON, chunked
bodies, the per-tenant rate, unknown tenants, OpenAPI, and Kafka down (503)."""

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.sources.push import PushedSource
from ingest.sources.replay import post_item
from schemas.config import VeilleConfig
from schemas.mention import IncomingPost, Mention
from schemas.topics import Topics
from tests.helpers import free_port, make_config, read_topic, wait_until
from tests.tansu import TansuBroker
from veille.runner import build_push, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

TOKEN = "tok-h"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AT = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def post(pid: str, text: str = "Air Volaris en retard") -> dict[str, Any]:
    return {"id": pid, "text": text, "published_at": AT, "author": {"handle": "@a"}}


def push_config(bootstrap: str, es: str, tmp_path: Path, **push: Any) -> VeilleConfig:
    settings = {"port": free_port(), "tokens": {"agence-horizon": TOKEN}, **push}
    return make_config(bootstrap, es, ingest={"state_dir": str(tmp_path), "push": settings})


@contextmanager
def serving(config: VeilleConfig) -> Iterator[str]:
    """The push service in a thread; yields its URL for agence-horizon."""
    stop = threading.Event()
    service = build_push(config, stop)
    runner = threading.Thread(target=service.run, daemon=True)
    runner.start()
    try:
        wait_until(lambda: _listening(service.server.url), what="the push endpoint")
        yield f"{service.server.url}/ingest/agence-horizon"
    finally:
        stop.set()
        runner.join(20)
        assert not runner.is_alive()


def _listening(url: str) -> bool:
    try:
        httpx.get(f"{url}/openapi.json", timeout=1)
    except httpx.TransportError:
        return False
    return True


def raw_request(url: str, head: bytes, body_bytes: int = 0) -> tuple[bytes, int]:
    """Send `head` then `body_bytes` bytes as they are, reading the answer meanwhile; return
    what the server answered until it closed, and how many body bytes it let us send."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    answers: list[bytes] = []

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                answers.append(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read)
    reader.start()
    sent, chunk = 0, b"[" * (1024 * 1024)
    try:
        sock.sendall(head)
        while sent < body_bytes:
            sock.sendall(chunk[: body_bytes - sent])
            sent += min(len(chunk), body_bytes - sent)
    except OSError:
        pass  # the server closed the connection: the rest is refused, never read
    reader.join(15)
    sock.close()
    return b"".join(answers), sent


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.fixture
def config(stack: EmbeddedStack, tmp_path: Path) -> VeilleConfig:
    config = push_config(
        stack.kafka_bootstrap,
        stack.elasticsearch_url,
        tmp_path,
        rate_per_s=1000,
        burst=1000,
        idle_timeout_s=1,
        max_body_bytes=1024 * 1024,
    )
    prepare(config)
    return config


def test_a_negative_or_garbled_content_length_is_a_400(config: VeilleConfig) -> None:
    path = b"/ingest/agence-horizon"
    with serving(config) as url:
        for length in (b"-1", b"abc", b"1, 2"):
            head = (
                b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-h\r\n"
                b"Content-Type: application/json\r\nContent-Length: " + length + b"\r\n\r\n"
            )
            answer, _sent = raw_request(url, head, 30 * 1024 * 1024 if length == b"-1" else 2)
            assert answer.startswith(b"HTTP/1.1 400"), (length, answer[:80])


def test_a_short_content_length_with_a_60_mb_body_is_not_buffered(config: VeilleConfig) -> None:
    with serving(config) as url:
        before = rss_bytes()
        head = (
            b"POST /ingest/agence-horizon HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-h\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        )
        answer, sent = raw_request(url, head, 60 * 1024 * 1024)
        assert answer.startswith(b"HTTP/1.1 400"), answer[:80]  # the 100 bytes: not JSON
        assert sent < 60 * 1024 * 1024  # the server hung up: the rest was never read
        assert rss_bytes() - before < 30 * 1024 * 1024
        ok = httpx.post(url, json=post("after"), headers=AUTH, timeout=10)
        assert ok.status_code == 202  # still serving


def test_100_idle_connections_cost_no_thread_and_are_closed(config: VeilleConfig) -> None:
    with serving(config) as url:
        host, port = url.split("//")[1].split("/")[0].split(":")
        threads = threading.active_count()
        idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(100)]
        try:
            ok = httpx.post(url, json=post("while-idle"), headers=AUTH, timeout=10)
            assert ok.status_code == 202
            assert threading.active_count() - threads < 10  # asyncio: sockets, not threads
            started = time.monotonic()
            assert all(s.recv(1) == b"" for s in idle)  # closed by the server's idle timeout
            assert time.monotonic() - started < 8
        finally:
            for s in idle:
                s.close()


def test_a_request_head_trickled_then_stalled_is_closed_within_the_read_timeout(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    """uvicorn cancels its keep-alive timer at the first byte: a head sent a byte at a time,
    then left unfinished, held the connection for ever (only bodies had a timeout)."""
    config = push_config(stack.kafka_bootstrap, stack.elasticsearch_url, tmp_path, read_timeout_s=2)
    prepare(config)
    head = b"POST /ingest/agence-horizon HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-h"
    with serving(config) as url:
        host, port = url.split("//")[1].split("/")[0].split(":")
        with socket.create_connection((host, int(port)), timeout=15) as sock:
            started = time.monotonic()
            try:
                for byte in head[:20]:  # trickled for about 1 s, then nothing more
                    sock.sendall(bytes([byte]))
                    time.sleep(0.05)
                closed = sock.recv(1)
            except OSError:
                closed = b""
            took = time.monotonic() - started
        assert closed == b"" and took < 6, took  # closed by the server, near the 2 s bound
        ok = httpx.post(url, json=post("after-stall"), headers=AUTH, timeout=10)
        assert ok.status_code == 202


def test_50_parallel_clients_of_10_posts_all_get_202(config: VeilleConfig) -> None:
    with serving(config) as url:

        def client(n: int) -> int:
            posts = [post(f"c{n}-{i}", f"Air Volaris vol {n}-{i}") for i in range(10)]
            with httpx.Client(timeout=60) as http:
                answer = http.post(url, json=posts, headers=AUTH)
            assert answer.json() == {"accepted": 10, "mentions": 10}
            return answer.status_code

        with ThreadPoolExecutor(50) as pool:
            assert list(pool.map(client, range(50))) == [202] * 50  # no reset, no refusal
    raw = read_topic(config, Topics(config.kafka.topic_prefix).raw, 500, timeout_s=60)
    assert len({Mention.model_validate_json(v).native_id for v in raw}) == 500


def test_deep_json_is_a_400_with_the_reason(config: VeilleConfig) -> None:
    with serving(config) as url, httpx.Client(timeout=30) as http:
        deep = http.post(url, content=b"[" * 100_000 + b"]" * 100_000, headers=AUTH)
        assert deep.status_code == 400 and "recursion limit" in json.dumps(deep.json())
        nested: Any = post("n")
        for _ in range(20):
            nested = {"a": nested}
        under_parser_limit = http.post(url, json=[nested], headers=AUTH)
        assert under_parser_limit.status_code == 400
        assert under_parser_limit.json()["problems"] == ["nested deeper than 16 levels"]
        not_json = http.post(url, content=b'{"id": ', headers=AUTH)
        assert not_json.status_code == 400 and not_json.json()["error"] == "invalid JSON"


def test_chunked_bodies_are_accepted_under_the_limit_and_counted(config: VeilleConfig) -> None:
    with serving(config) as url, httpx.Client(timeout=30) as http:
        body = json.dumps([post("chunked")]).encode()
        small = http.post(url, content=iter([body[:10], body[10:]]), headers=AUTH)
        assert small.request.headers.get("transfer-encoding") == "chunked"
        assert small.status_code == 202 and small.json() == {"accepted": 1, "mentions": 1}
        big = http.post(url, content=iter([b" " * 65536] * 32), headers=AUTH)  # 2 MB > 1 MB
        assert big.status_code == 413 and "body over 1048576 bytes" in big.json()["error"]
        declared = http.post(url, content=b" " * (1024 * 1024 + 1), headers=AUTH)
        assert declared.status_code == 413  # with a Content-Length, read and dropped
        assert http.post(url, json=[post("after")], headers=AUTH).status_code == 202


def test_duplicates_dropped_within_a_request_are_logged_and_counted(
    config: VeilleConfig, caplog: pytest.LogCaptureFixture
) -> None:
    stop = threading.Event()
    service = build_push(config, stop)
    twice = [post("dup"), post("dup"), post("other")]
    with caplog.at_level(logging.INFO, logger="ingest.intake"):
        assert service.intake.deliver_items(PushedSource("agence-horizon"), [
            post_item(IncomingPost.model_validate(p), None) for p in twice
        ]) == 2  # fmt: skip
    service.intake.close()
    assert service.intake.duplicates_dropped == 1
    assert "push-agence-horizon: 1 duplicate(s) dropped in one request (1 since start)" in (
        caplog.text
    )


def test_every_unauthenticated_request_is_a_401(config: VeilleConfig) -> None:
    with serving(config) as url, httpx.Client(timeout=10) as http:
        base = url.rsplit("/", 1)[0]
        for target, headers in [
            (url, {}),
            (url, {"Authorization": "Bearer nope"}),
            (url, {"Authorization": f"Basic {TOKEN}"}),
            (f"{base}/nobody", {}),
            (f"{base}/nobody", AUTH),  # a known token, for an unknown tenant
        ]:
            answer = http.post(target, json=post("x"), headers=headers)
            assert answer.status_code == 401, (target, headers)
            assert answer.json()["error"] == "missing or wrong token"
            assert answer.headers["www-authenticate"] == "Bearer"


def test_openapi_is_served(config: VeilleConfig) -> None:
    with serving(config) as url:
        spec = httpx.get(url.rsplit("/", 2)[0] + "/openapi.json", timeout=10).json()
    operation = spec["paths"]["/ingest/{tenant}"]["post"]
    assert {"202", "400", "401", "413", "429", "503"} <= set(operation["responses"])
    assert "IncomingPost" in spec["components"]["schemas"]
    assert operation["security"] == [{"bearer": []}]


def test_the_tenant_rate_limit_is_a_429_with_retry_after(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    config = push_config(
        stack.kafka_bootstrap, stack.elasticsearch_url, tmp_path, rate_per_s=0.2, burst=2
    )
    prepare(config)
    with serving(config) as url, httpx.Client(timeout=10) as http:
        codes = [http.post(url, json=post(f"r{i}"), headers=AUTH).status_code for i in range(3)]
        assert codes == [202, 202, 429]
        limited = http.post(url, json=post("r3"), headers=AUTH)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        other = http.post(url, json=post("r4"), headers={"Authorization": "Bearer nope"})
        assert other.status_code == 401  # unauthenticated requests spend no tenant's budget


def test_kafka_down_is_a_503_with_retry_after_and_nothing_remembered(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    broker = TansuBroker(free_port(), tmp_path / "tansu.log")
    broker.start()
    config = push_config(broker.bootstrap, stack.elasticsearch_url, tmp_path)
    config.ingest.produce_timeout_s = 2.0
    try:
        prepare(config)
        with serving(config) as url, httpx.Client(timeout=30) as http:
            assert http.post(url, json=post("k1"), headers=AUTH).status_code == 202
            broker.stop()
            down = http.post(url, json=post("k2"), headers=AUTH)
            assert down.status_code == 503 and down.headers["retry-after"] == "5"
        broker.start()
        prepare(config)  # tansu keeps topics (and producer ids) in memory: start afresh
        with serving(config) as url, httpx.Client(timeout=30) as http:
            again = http.post(url, json=[post("k1"), post("k2")], headers=AUTH)
            assert again.json() == {"accepted": 2, "mentions": 1}  # k2 was not remembered
    finally:
        broker.stop()
