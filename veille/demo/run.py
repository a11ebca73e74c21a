"""`veille demo`: the embedded stack, every worker, and the demo weekend fed through RSS.

Shows live progress; the page prints when it fires. Without `--once` the workers keep
running after the weekend until Ctrl-C; with `--once` it exits when every post has gone
through, 0 only if the crisis was paged.

The weekend is a fixed one (November 2026) fetched at today's date: `demo_config` lifts the
event-time floor (`event_time.max_age_days`) for the demo only, so it keeps replaying in
the years ahead; the future-skew bound stays, and no production config is changed.
"""

import sys
import time
from typing import Any, TextIO

from runtime.indices import mentions_alias
from schemas.config import VeilleConfig
from veille.demo.feed_server import DemoFeedServer, SimulatedClock
from veille.demo.stream import CRISIS_ONSET, WEEKEND_START, demo_weekend
from veille.runner import RunningWorkers, prepare, start_workers, stop_on_signals
from veille.stack import EmbeddedStack

DEMO_BRAND = "air-volaris"
DRAIN_TIMEOUT_S = 120.0


def demo_config(config: VeilleConfig) -> VeilleConfig:
    """`config` with no event-time floor: the demo's posts are old by design."""
    event_time = config.event_time.model_copy(update={"max_age_days": None})
    return config.model_copy(update={"event_time": event_time})


class Progress:
    """One console line a second: event time, throughput, negative share, incidents."""

    def __init__(self, running: RunningWorkers, clock: SimulatedClock, out: TextIO) -> None:
        self._running = running
        self._clock = clock
        self._out = out
        self._last = (time.monotonic(), 0)

    def stage(self, name: str) -> Any:
        return self._running.workers[name].stage

    def show(self) -> None:
        enrich = self.stage("enrich")
        now = time.monotonic()
        rate = (enrich.enriched_total - self._last[1]) / max(now - self._last[0], 1e-6)
        self._last = (now, enrich.enriched_total)
        share = enrich.negative_total / enrich.enriched_total if enrich.enriched_total else 0.0
        ingested = self._running.workers["ingest"].stats.mentions
        print(
            f"[{self._clock.now():%a %H:%M} UTC] ingested {ingested}"
            f" · enriched {enrich.enriched_total} ({rate:.0f}/s) · negative {share:.0%}"
            f" · indexed {self.stage('index').indexed_total}"
            f" · open incidents {self.stage('alerts').open_incidents()}",
            file=self._out, flush=True,
        )  # fmt: skip


def _drained(running: RunningWorkers, server: DemoFeedServer, last_post: float) -> bool:
    """Every post read by every worker, and event time moved past the last one."""
    ingest = running.workers["ingest"].stats
    produced = ingest.mentions
    alerts = running.workers["alerts"]
    return (
        server.finished()
        and ingest.items >= len(server.posts)
        and running.workers["enrich"].stats.processed >= produced
        and running.workers["index"].stage.indexed_total >= produced
        and alerts.stats.processed >= produced
        and (alerts.stage.watermark or 0) >= last_post
    )


def run_demo(
    config: VeilleConfig, once: bool, speed: float | None, out: TextIO = sys.stdout
) -> int:
    config = demo_config(config)
    stack = EmbeddedStack(config.stack)
    started_stack = not stack.status().running
    print(f"starting the embedded stack in {stack.data_dir} …", file=out, flush=True)
    stack.up()
    prepare(config)
    posts = demo_weekend()
    clock = SimulatedClock(WEEKEND_START, speed or config.demo.speed)
    server = DemoFeedServer(posts, clock, config.demo.listen_port)
    server.start()
    running = start_workers(config)
    progress = Progress(running, clock, out)
    print(f"replaying {len(posts)} posts from {WEEKEND_START:%A %H:%M} UTC; crisis brewing "
          f"from {CRISIS_ONSET:%A %H:%M} UTC. Ctrl-C stops.", file=out, flush=True)  # fmt: skip
    drain_deadline: float | None = None
    announced = False
    try:
        with stop_on_signals(running.stop_event):
            while not running.stop_event.wait(1.0):
                progress.show()
                if _drained(running, server, posts[-1].published_at.timestamp()):
                    if once:
                        break
                    if not announced:
                        announced = True
                        index = mentions_alias(config.elasticsearch, "agence-horizon")
                        print(f"weekend replayed; workers keep running. Explore: curl "
                              f"'{config.elasticsearch.hosts[0]}/{index}/_search?q=sentiment.label:"
                              "negative'  (Ctrl-C stops)", file=out, flush=True)  # fmt: skip
                elif server.finished():
                    drain_deadline = drain_deadline or time.monotonic() + DRAIN_TIMEOUT_S
                    if time.monotonic() > drain_deadline:
                        print("timed out waiting for the pipeline to drain", file=out, flush=True)
                        break
    finally:
        running.stop()
        server.stop()
        if started_stack:
            stack.down()
    alerts = running.workers["alerts"].stage
    paged = [e for e in alerts.pages_sent if e.incident.brand == DEMO_BRAND and e.pages]
    early = [e for e in paged if e.incident.opened_at < CRISIS_ONSET]
    for name, failure in running.failures.items():
        print(f"{name} worker failed: {failure}", file=out)
    print(f"done: {len(paged)} page(s) for {DEMO_BRAND}, {len(early)} before the crisis began",
          file=out, flush=True)  # fmt: skip
    if running.failures:
        return 1
    if not once:  # stopped by the user: not a failure, whatever was replayed
        return 0
    return 0 if paged else 1
