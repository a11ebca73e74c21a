"""Feed polling: polls/min against a local server hosting 1,000 feeds (target ≥ 2,000 polls/min
answered 304 Not Modified).

The server (its own process, asyncio, HTTP/1.1 keep-alive on 127.0.0.1) serves 1,000 RSS
feeds with an ETag each, answering after 20 ms (a short round trip to a feed host; with
none, a local server measures only Python overhead). The ingest worker polls them all once
(200, cursors committed to
its SQLite store), then the measured rounds: every feed again, each answered 304 thanks to
the stored ETag. Baseline, same run: the first version's way, one synchronous httpx.Client
conditional GET after the other, over the first 100 feeds.

Feeds carry no brand name, so no mention is produced and no broker is needed: the producer
here refuses to be used, which the benchmark would report.
"""

import asyncio
import multiprocessing
import socket
import tempfile
import threading
import time
from typing import Any, cast

import httpx

from ingest.cursors import CursorStore
from ingest.matcher import BrandMatcher
from ingest.sources.rss import RssFeed
from ingest.worker import IngestWorker
from runtime.kafka import DurableProducer
from schemas.config import EventTimeSettings, IngestSettings, RssSourceSettings, TenantSettings
from schemas.topics import Topics

FEEDS = 1000
ROUNDS = 3
TARGET_POLLS_PER_MIN = 2000
LATENCY_S = 0.020
FEED = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>f</title>'
    b"<item><guid>%d-1</guid><title>Rien</title><description>Il pleut</description></item>"
    b"</channel></rss>"
)


def _serve(port: int, ready: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                number = int(path.rsplit(b"/", 1)[1].split(b".")[0])
                etag = b'"v%d"' % number
                await asyncio.sleep(LATENCY_S)
                if b"if-none-match: " + etag in head.lower():
                    writer.write(b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n")
                else:
                    body = FEED % number
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                        b"ETag: %s\r\nContent-Length: %d\r\n\r\n%s" % (etag, len(body), body)
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _NoKafka:
    def send(self, *args: object) -> None:
        raise RuntimeError("the feed benchmark must not produce")

    def flush(self, timeout_s: float | None = None) -> None:
        return

    def close(self, timeout_s: float = 0) -> None:
        return


def _worker(base: str, state_dir: str) -> IngestWorker:
    settings = IngestSettings(
        state_dir=state_dir,
        allow_networks=["127.0.0.1/32"],
        max_concurrency=32,
        per_host_concurrency=32,  # 1,000 feeds on one local host; real feeds span many
    )
    sources = [
        RssFeed(RssSourceSettings(id=f"f{n}", url=f"{base}/feed/{n}.xml", poll_interval_s=0.001))
        for n in range(FEEDS)
    ]
    tenant = TenantSettings.model_validate(
        {
            "id": "t",
            "name": "T",
            "brands": [{"id": "b", "name": "B", "queries": [{"id": "q", "query": "volaris"}]}],
        }
    )
    store = CursorStore.for_prefix(state_dir, "bench.")
    producer = cast(DurableProducer, _NoKafka())
    return IngestWorker(
        sources,
        BrandMatcher([tenant]),
        producer,
        Topics("bench."),
        store,
        settings,
        EventTimeSettings(),
        threading.Event(),
    )


def _baseline(base: str, feeds: int) -> float:
    with httpx.Client() as client:
        etags = {n: client.get(f"{base}/feed/{n}.xml").headers["ETag"] for n in range(feeds)}
        started = time.perf_counter()
        for n in range(feeds):
            response = client.get(f"{base}/feed/{n}.xml", headers={"If-None-Match": etags[n]})
            assert response.status_code == 304
        return feeds / (time.perf_counter() - started) * 60


def main() -> int:
    port = _free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(port, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(10):
            print("the local feed server did not start")
            return 1
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as state_dir:
            worker = _worker(base, state_dir)
            worker.run_once()  # first round: 200 OK, ETags committed
            if worker.stats.polls != FEEDS or any(
                h.last_error for h in worker.stats.health.values()
            ):
                print(f"first round failed: {worker.stats.polls} polls")
                return 1
            rates = []
            for _ in range(ROUNDS):
                worker.scheduler.next_poll = dict.fromkeys(worker.scheduler.next_poll, 0.0)
                started = time.perf_counter()
                worker.run_once()
                rates.append(FEEDS / (time.perf_counter() - started) * 60)
            errors = sum(h.consecutive_errors for h in worker.stats.health.values())
            worker.close()
        baseline = _baseline(base, 100)
    finally:
        server.terminate()
        server.join(5)
    best, worst = max(rates), min(rates)
    verdict = "meets" if worst >= TARGET_POLLS_PER_MIN else "MISSES"
    print(
        f"{FEEDS} feeds, {ROUNDS} rounds answered 304 after {LATENCY_S * 1000:.0f} ms, "
        f"{errors} errors"
    )
    print(
        f"ingest worker: {worst:,.0f}–{best:,.0f} polls/min ({verdict} the "
        f"{TARGET_POLLS_PER_MIN:,} target)"
    )
    print(f"baseline (sequential httpx.Client): {baseline:,.0f} polls/min")
    print(f"ratio worker / baseline: {worst / baseline:.1f}x")
    return 0 if errors == 0 else 1
