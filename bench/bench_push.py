"""HTTP push: posts/s accepted, and p99 latency, under 1, 10 and 50 parallel clients.

Each client (a thread with its own keep-alive connection) sends requests of 10 posts (half
naming a brand) for a few seconds. The server runs in a process of its own and delivers
through the real path minus Kafka: BatchAssembler (dedup → match → mention) and MentionSink
with an in-memory CursorStore and a producer that drops what it is sent. Baseline, same
run: the previous stdlib `ThreadingHTTPServer` endpoint (BASELINE below, kept only here),
on the same delivery path. Errors (resets, non-202) are counted, never hidden.
"""

import hmac
import json
import multiprocessing
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import httpx
from pydantic import TypeAdapter, ValidationError

from ingest.assembler import BatchAssembler
from ingest.cursors import CursorStore
from ingest.delivery import MentionSink
from ingest.intake import DirectIntake
from ingest.matcher import BrandMatcher
from ingest.sources.push import Deliverer, PushedSource, PushServer
from ingest.sources.replay import post_item
from runtime.kafka import DurableProducer
from schemas.config import EventTimeSettings, IngestSettings, PushSettings, TenantSettings
from schemas.mention import IncomingPost
from schemas.topics import Topics

CLIENTS = (1, 10, 50)
SECONDS = 3.0
POSTS_PER_REQUEST = 10
TOKEN = "bench-token"
TENANT = TenantSettings.model_validate(
    {
        "id": "bench",
        "name": "Bench",
        "brands": [{"id": "v", "name": "Volaris", "queries": [{"id": "n", "query": "volaris"}]}],
    }
)


class _NullProducer:
    def send(self, *args: object) -> None:
        return

    def flush(self, timeout_s: float | None = None) -> None:
        return

    def close(self, timeout_s: float = 0) -> None:
        return


def _intake() -> DirectIntake:
    store = CursorStore(None)
    settings = IngestSettings(state_dir=None)
    sink = MentionSink(cast(DurableProducer, _NullProducer()), Topics("bench."), store, 5.0)
    matcher = BrandMatcher([TENANT])
    return DirectIntake(BatchAssembler(matcher, store, settings, EventTimeSettings()), sink)


# --- BASELINE: the previous stdlib push server (ingest/sources/push.py before FastAPI) ----
# Kept here only to measure against; it is not used anywhere else.
_POSTS = TypeAdapter(list[IncomingPost])


class BaselineStdlibPushServer:
    def __init__(self, settings: PushSettings, tenants: set[str], sink: Deliverer) -> None:
        self._settings = settings
        self._tenants = tenants
        self._sink = sink
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                status, body, headers = server.handle(self.path, dict(self.headers), self)
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.http = ThreadingHTTPServer((settings.host, settings.port), Handler)
        self.http.daemon_threads = True

    def handle(
        self, path: str, headers: dict[str, str], request: BaseHTTPRequestHandler
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        length = int(headers.get("Content-Length") or 0)
        if length > self._settings.max_body_bytes:
            request.close_connection = True
            return 413, {"error": f"body over {self._settings.max_body_bytes} bytes"}, {}
        raw = request.rfile.read(length)
        parts = path.split("?")[0].strip("/").split("/")
        if len(parts) != 2 or parts[0] != "ingest" or parts[1] not in self._tenants:
            return 404, {"error": "unknown path or tenant"}, {}
        tenant = parts[1]
        token = self._settings.tokens.get(tenant)
        given = headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token is None or not hmac.compare_digest(
            given.encode(), token.get_secret_value().encode()
        ):
            return 401, {"error": "missing or wrong token"}, {"WWW-Authenticate": "Bearer"}
        try:
            data = json.loads(raw)
            posts = _POSTS.validate_python(data if isinstance(data, list) else [data])
        except ValueError as exc:
            problems = (
                [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]]
                if isinstance(exc, ValidationError)
                else [str(exc)]
            )
            return 400, {"error": "invalid posts", "problems": problems}, {}
        if len(posts) > self._settings.max_posts:
            return 413, {"error": f"more than {self._settings.max_posts} posts"}, {}
        items = [post_item(p, None) for p in posts]
        try:
            produced = self._sink.deliver_items(PushedSource(tenant), items)
        except Exception:
            return 503, {"error": "not stored, retry"}, {"Retry-After": "5"}
        return 202, {"accepted": len(posts), "mentions": produced}, {}


# --- END BASELINE ---------------------------------------------------------------------------


def _settings(port: int) -> PushSettings:
    return PushSettings.model_validate(
        {"port": port, "tokens": {"bench": TOKEN}, "rate_per_s": 1e9, "burst": 1_000_000_000}
    )


def _serve_fastapi(port: int) -> None:
    stop = threading.Event()
    PushServer(_settings(port), EventTimeSettings(), {"bench"}, _intake()).serve(stop)


def _serve_stdlib(port: int) -> None:
    BaselineStdlibPushServer(_settings(port), {"bench"}, _intake()).http.serve_forever()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _load(url: str, clients: int) -> tuple[float, float, int]:
    """(posts/s accepted, p99 latency in ms, errors) for `clients` parallel clients."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    deadline = time.monotonic() + SECONDS

    def client(n: int) -> None:
        sent = 0
        with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            while time.monotonic() < deadline:
                posts = [
                    {"id": f"{n}-{sent}-{i}", "published_at": at, "author": {"handle": "@b"},
                     "text": "Volaris encore en retard" if i % 2 else "il pleut sur Lyon"}
                    for i in range(POSTS_PER_REQUEST)
                ]  # fmt: skip
                sent += 1
                started = time.perf_counter()
                try:
                    ok = http.post(url, json=posts).status_code == 202
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - started
                with lock:
                    if ok:
                        latencies.append(took)
                    else:
                        errors[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return len(latencies) * POSTS_PER_REQUEST / wall, p99 * 1000, errors[0]


def _run(serve: Callable[[int], None]) -> dict[int, tuple[float, float, int]]:
    port = _free_port()
    process = multiprocessing.get_context("fork").Process(target=serve, args=(port,))
    process.start()
    url = f"http://127.0.0.1:{port}/ingest/bench"
    try:
        for _ in range(200):
            try:
                httpx.post(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        return {n: _load(url, n) for n in CLIENTS}
    finally:
        process.terminate()
        process.join(10)


def main() -> int:
    results = {"stdlib (baseline)": _run(_serve_stdlib), "fastapi+uvicorn": _run(_serve_fastapi)}
    print(f"{'server':<20}{'clients':>8}{'posts/s':>10}{'p99 ms':>9}{'errors':>8}")
    for name, by_clients in results.items():
        for clients, (rate, p99, errors) in by_clients.items():
            print(f"{name:<20}{clients:>8}{rate:>10.0f}{p99:>9.1f}{errors:>8}")
    for clients in CLIENTS:
        base, new = results["stdlib (baseline)"][clients], results["fastapi+uvicorn"][clients]
        ratio = new[0] / base[0] if base[0] else float("inf")
        print(f"{clients} client(s): fastapi/stdlib posts/s ratio {ratio:.2f}")
    failed = sum(r[2] for r in results["fastapi+uvicorn"].values())
    if failed:
        print(f"FAILED: {failed} request(s) not accepted by the new server")
    return 1 if failed else 0
