"""Several `veille ingest run` processes sharing growing local feeds: who polled which source
when (from each worker's User-Agent), and what reached mentions.raw. Used by
tests/integration/test_ingest_scale.py and the fault suite."""

import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from schemas.config import VeilleConfig
from schemas.mention import Mention
from schemas.topics import Topics
from tests.helpers import read_topic, start_cli_worker, write_config
from tests.local_http import LocalHttp, Reply, Request
from veille.demo.feed_server import render_rss
from veille.demo.stream import DemoPost

AT = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


class GrowingFeeds:
    """`n` RSS feeds (ids s0…), each gaining a post in turn every `every_s` while growing."""

    def __init__(self, http: LocalHttp, n: int, every_s: float = 0.05) -> None:
        self.base = http.base
        self.posts: dict[str, list[DemoPost]] = {f"s{i}": [] for i in range(n)}
        self.polls: list[tuple[float, str, str]] = []  # (monotonic time, source, worker)
        self._lock = threading.Lock()
        self._every_s = every_s
        self._growing = threading.Event()
        self._thread: threading.Thread | None = None
        for source in self.posts:
            http.route(f"/{source}", lambda request, s=source: self._serve(s, request))

    def sources(self, interval_s: float = 0.3) -> list[dict[str, Any]]:
        return [{"id": s, "type": "rss", "url": f"{self.base}/{s}", "poll_interval_s": interval_s}
                for s in self.posts]  # fmt: skip

    def _serve(self, source: str, request: Request) -> Reply:
        with self._lock:
            self.polls.append((time.monotonic(), source, request.headers.get("User-Agent", "")))
            body = render_rss(list(self.posts[source]), self.base)
        return Reply(body=body)

    def start(self) -> None:
        self._growing.set()
        self._thread = threading.Thread(target=self._grow, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._growing.clear()
        if self._thread is not None:
            self._thread.join()

    def _grow(self) -> None:
        count = 0
        while self._growing.is_set():
            source = f"s{count % len(self.posts)}"
            native = f"{source}-{count}"
            at = AT + timedelta(seconds=count)
            with self._lock:
                self.posts[source].append(
                    DemoPost(native, at, "auteur", "Titre", f"Air Volaris, vol {native}", False)
                )
            count += 1
            time.sleep(self._every_s)

    def published(self) -> set[tuple[str, str]]:
        with self._lock:
            return {(s, p.id) for s, posts in self.posts.items() for p in posts}

    def pollers(self, since: float, until: float = float("inf")) -> dict[str, set[str]]:
        """Source → the workers that polled it within [since, until)."""
        found: dict[str, set[str]] = {}
        with self._lock:
            for at, source, worker in self.polls:
                if since <= at < until:
                    found.setdefault(source, set()).add(worker)
        return found

    def overlaps(self, within_s: float = 1.0) -> list[tuple[str, float]]:
        """(source, time) wherever a worker polled a source again within `within_s` after
        another took it over: two pollers at once (a handover moves a source for at least
        one rebalance, seconds on tansu)."""
        found: list[tuple[str, float]] = []
        with self._lock:
            by_source: dict[str, list[tuple[float, str]]] = {}
            for at, source, worker in self.polls:
                by_source.setdefault(source, []).append((at, worker))
        for source, polls in by_source.items():
            for (_, before), (at, worker) in pairwise(polls):
                if worker != before and any(
                    w == before and at < t <= at + within_s for t, w in polls
                ):
                    found.append((source, at))
        return found

    def handovers(self) -> dict[str, list[tuple[float, str]]]:
        """Source → each change of its poller over the whole run: (time, new worker)."""
        changes: dict[str, list[tuple[float, str]]] = {s: [] for s in self.posts}
        last: dict[str, str] = {}
        with self._lock:
            for at, source, worker in self.polls:
                if source in last and last[source] != worker:
                    changes[source].append((at, worker))
                last[source] = worker
        return changes


@dataclass
class Fleet:
    """`veille ingest run` processes, one per name, each with its own state dir."""

    config: VeilleConfig
    work: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str) -> None:
        ingest = self.config.ingest.model_copy(
            update={"state_dir": str(self.work / name), "user_agent": name}
        )
        path = write_config(self.config.model_copy(update={"ingest": ingest}),
                            self.work / f"{name}.yaml")  # fmt: skip
        self.processes[name] = start_cli_worker(path, self.work / f"{name}.log", "ingest", "run")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            process.wait(timeout=30)


def settled(feeds: GrowingFeeds, workers: set[str], window_s: float = 2.0) -> bool:
    """In the last `window_s`: every source polled, each by one worker, by `workers` only,
    and every one of `workers` polling something."""
    now = time.monotonic()
    found = feeds.pollers(now - window_s)
    if set(found) != set(feeds.posts) or any(len(w) != 1 for w in found.values()):
        return False
    return set().union(*found.values()) == workers


def raw_mentions(config: VeilleConfig, expected: int) -> list[Mention]:
    values = read_topic(config, Topics(config.kafka.topic_prefix).raw, expected, timeout_s=10)
    return [Mention.model_validate_json(v) for v in values]


def doubled(mentions: list[Mention]) -> dict[str, int]:
    """Mention id → times produced, for ids produced more than once."""
    counts = Counter(m.id for m in mentions)
    return {i: n for i, n in counts.items() if n > 1}
