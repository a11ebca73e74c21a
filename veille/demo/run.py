"""`veille demo`: the embedded stack, every worker, and the demo weekend fed through RSS.

Shows live progress and who is on call on Saturday night (the weekend rotation, Paris
time); the page prints when it fires, with its signed incident link; nobody acknowledges,
so level 2 is paged; then the demo presses the link's "acknowledge" itself and the rest of
the escalation stops. Before the crisis, the customers' requests nobody answers pile up:
the progress line counts them ("sans réponse"), and the advisers get each overdue one as
a note (`veille response watch`, on the same clock), never a page until the crisis. The
notifier runs on the demo's clock (the weekend in a minute or two), which stops once the
weekend is replayed. Each run has its own topics, groups and indices (`demo-<run>.`
prefixes), so a second run pages again; production keeps its idempotence. Without
`--once` the workers keep running until Ctrl-C; with `--once` it exits when every post
has gone through, 0 only if the crisis was paged.

The weekend is a fixed one (November 2026) fetched at today's date: `demo_config` lifts the
event-time floor (`event_time.max_age_days`) for the demo only, so it keeps replaying in
the years ahead; the future-skew bound stays, and no production config is changed.
"""

import secrets
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import httpx
from pydantic import SecretStr

from alerts.notify.oncall import on_call
from runtime.indices import mentions_alias
from schemas.config import VeilleConfig
from veille.demo.feed_server import DemoFeedServer, SimulatedClock
from veille.demo.stream import CRISIS_ONSET, WEEKEND_START, demo_weekend
from veille.response_worker import build_response_watch
from veille.runner import build_notify, prepare, start_workers
from veille.running import RunningWorkers, stop_on_signals
from veille.stack import EmbeddedStack

DEMO_BRAND = "air-volaris"
DEMO_TENANT = "agence-horizon"
DRAIN_TIMEOUT_S = 120.0
WATCH_WAIT_S = 30.0
"""Real seconds the demo waits, once replayed, for the response watch's look at what waits."""
ACK_AFTER_S = 1.0
"""Real seconds the demo waits after level 2 is paged before it presses acknowledge."""


def namespaced(config: VeilleConfig) -> VeilleConfig:
    """This run's own topics (one partition each), consumer groups and indices, and a link
    secret if none is set."""
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    # One partition per topic: the weekend replays at thousands of times real speed, where a
    # second of wall-clock disorder between partitions (the inference stage interleaves raw
    # partitions, schemas/topics.py) is hours of event time, far beyond the detector's
    # allowed lateness. One partition keeps the replay in order end to end.
    kafka = config.kafka.model_copy(
        update={"topic_prefix": f"{config.kafka.topic_prefix}demo-{run}.", "partitions": 1}
    )
    search = config.elasticsearch.model_copy(
        update={"index_prefix": f"{config.elasticsearch.index_prefix}demo-{run}-"}
    )
    web = config.alerts.notify.web
    if web.link_secret is None:
        web = web.model_copy(update={"link_secret": SecretStr(secrets.token_urlsafe(32))})
    notify = config.alerts.notify.model_copy(update={"web": web})
    alerts = config.alerts.model_copy(update={"notify": notify})
    return config.model_copy(update={"kafka": kafka, "elasticsearch": search, "alerts": alerts})


class EventClock:
    """The demo notifier's clock: the detector's event time (the replayed weekend), running
    on at the demo's speed between two advances, never backwards; frozen once the weekend
    is replayed. So the on-call of Saturday night is the one paged, and escalation delays
    pass in demo minutes."""

    def __init__(self, watermark: Callable[[], float | None], start: datetime,
                 speed: float) -> None:  # fmt: skip
        self._watermark = watermark
        self.ceiling: Callable[[], datetime | None] = lambda: None
        """A time the clock must not pass for now (Escalation.ceiling); None: no bound."""
        self._speed = speed
        self._last = start
        self._base: float | None = None
        self._since = time.monotonic()
        self._frozen: datetime | None = None
        self._held: tuple[datetime, float] | None = None

    def now(self) -> datetime:
        current = self._now()
        bound = self.ceiling()
        return current if bound is None else min(current, bound)

    def _now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        if self._held is not None:
            return self._held[0]
        mark = self._watermark()
        if mark is not None and mark != self._base:
            self._base, self._since = mark, time.monotonic()
        if self._base is None:
            return self._last
        ahead = datetime.fromtimestamp(self._base, UTC) + timedelta(
            seconds=(time.monotonic() - self._since) * self._speed
        )
        self._last = max(self._last, ahead)
        return self._last

    def freeze(self) -> None:
        self._frozen = self.now()

    def hold(self) -> None:
        """Stop the clock until `release` (while the demo presses acknowledge: at a high
        speed the next level would otherwise come due in the real second that takes)."""
        if self._held is None:
            self._held = (self.now(), time.monotonic())

    def release(self) -> None:
        if self._held is not None:
            self._since += time.monotonic() - self._held[1]
            self._held = None


class Escalation:
    """Watches the notifier: the demo brand's pages, and the acknowledgement it presses."""

    def __init__(self, running: RunningWorkers, out: TextIO, clock: EventClock) -> None:
        self._notify = running.workers["notify"]
        self._out = out
        self._clock = clock
        self.link: str | None = None
        self.level2_at: float | None = None
        self.pressed = False
        self.pressed_at = 0.0
        self.stopped = False
        self.opened_at: dict[str, datetime] = {}
        """When each incident of the demo brand opened (event time), by id."""

    def ceiling(self) -> datetime | None:
        """Until the demo's acknowledgement has stopped the demo brand's escalation, the
        notifier's clock stays short of the first step past level 2 (level 3, the agency's
        direction). The replay runs at thousands of times real speed, so a notifier slowed by
        a loaded machine could otherwise find level 3 due before the demo had pressed; read
        from the notifier's own pending records, on its own thread, so no watch is late."""
        if self.stopped:
            return None
        demo = {t.incident_id for t in self._notify.stage.threads()
                if t.tenant == DEMO_TENANT and t.brand == DEMO_BRAND}  # fmt: skip
        dues = [r.due_at for r in self._notify.dispatcher.pending()
                if r.action == "trigger" and r.level > 2 and r.incident_id in demo]  # fmt: skip
        return min(dues) - timedelta(seconds=1) if dues else None

    def escalating(self) -> bool:
        """From the demo brand's first incident until the acknowledgement stopped it."""
        return bool(self.opened_at) and not self.stopped

    def pages(self) -> list[Any]:
        """The demo brand's pages sent so far."""
        return [r for r in self._notify.dispatcher.delivered
                if r.action == "trigger" and r.status == "sent"
                and r.incident_id in self.opened_at]  # fmt: skip

    def watch(self) -> None:
        for thread in self._notify.stage.threads():
            if thread.tenant == DEMO_TENANT and thread.brand == DEMO_BRAND:
                self.opened_at.setdefault(thread.incident_id, thread.incident.opened_at)
        pages = self.pages()
        if self.link is None and pages:
            self.link = self._notify.sender.links.get(pages[0].id)
        if self.level2_at is None and any(r.level >= 2 for r in pages):
            self.level2_at = time.monotonic()
            self._clock.hold()  # until the demo has pressed acknowledge
            print("personne n'a acquitté en 15 min : le niveau 2 est prévenu", file=self._out,
                  flush=True)  # fmt: skip
        if (not self.pressed and self.link and self.level2_at is not None
                and time.monotonic() - self.level2_at >= ACK_AFTER_S):  # fmt: skip
            self.press()
        if self.pressed and not self.stopped and time.monotonic() - self.pressed_at > 30:
            self._clock.release()  # the acknowledgement is slow to arrive: let time go on
        if self.pressed and not self.stopped:
            threads = [t for t in self._notify.stage.threads() if t.brand == DEMO_BRAND]
            left = [r for r in self._notify.dispatcher.pending()
                    if r.action == "trigger" and r.incident_id in self.opened_at]  # fmt: skip
            if any(t.status == "acknowledged" for t in threads) and not left:
                self.stopped = True
                self._clock.release()  # the acknowledgement has stopped every pending step
                print("acquitté : l'escalade s'arrête, plus aucune étape prévue (le niveau 3 "
                      "ne sera pas prévenu)", file=self._out, flush=True)  # fmt: skip

    def press(self) -> None:
        assert self.link is not None
        print(f"la démo appuie elle-même sur « Acquitter » du lien {self.link}", file=self._out,
              flush=True)  # fmt: skip
        answer = httpx.post(f"{self.link}/answer", data={"action": "acknowledge",
                            "by": "la démo (à la place de l'astreinte)"}, timeout=10)  # fmt: skip
        self.pressed = True
        self.pressed_at = time.monotonic()
        print(f"  → {answer.status_code} : escalade arrêtée demandée", file=self._out, flush=True)


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
        enrich = self.stage("stories")
        now = time.monotonic()
        rate = (enrich.enriched_total - self._last[1]) / max(now - self._last[0], 1e-6)
        self._last = (now, enrich.enriched_total)
        share = enrich.negative_total / enrich.enriched_total if enrich.enriched_total else 0.0
        ingested = self._running.workers["ingest"].stats.mentions
        print(
            f"[{self._clock.now():%a %H:%M} UTC] ingested {ingested}"
            f" · enriched {enrich.enriched_total} ({rate:.0f}/s) · negative {share:.0%}"
            f" · indexed {self.stage('index').indexed_total}"
            f" · sans réponse {self._running.workers['response'].overdue.get(DEMO_TENANT, 0)}"
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
        and running.workers["stories"].stats.processed >= produced
        and running.workers["index"].stage.indexed_total >= produced
        and alerts.stats.processed >= produced
        and (alerts.stage.watermark or 0) >= last_post
    )


def _drain_state(running: RunningWorkers, last_post: float) -> str:
    """What `_drained` waits on, for the message when it never comes."""
    w = running.workers
    counts = ", ".join(f"{name} {w[name].stats.processed}" for name in
                       ("enrich", "stories", "alerts") if name in w)  # fmt: skip
    return (
        f"{w['ingest'].stats.mentions} mentions produced; processed: {counts}; "
        f"indexed {w['index'].stage.indexed_total}; alert watermark "
        f"{w['alerts'].stage.watermark} of {last_post}"
    )


def run_demo(
    config: VeilleConfig, once: bool, speed: float | None, out: TextIO = sys.stdout
) -> int:
    config = demo_config(config)
    stack = EmbeddedStack(config.stack)
    started_stack = not stack.status().running
    print(f"starting the embedded stack in {stack.data_dir} …", file=out, flush=True)
    stack.up()
    config = namespaced(config)
    prepare(config)
    posts = demo_weekend()
    clock = SimulatedClock(WEEKEND_START, speed or config.demo.speed)
    server = DemoFeedServer(posts, clock, config.demo.listen_port)
    server.start()
    started: list[RunningWorkers] = []

    def event_time() -> float | None:
        watermark: float | None = started[0].workers["alerts"].stage.watermark if started else None
        return watermark

    notify_clock = EventClock(event_time, WEEKEND_START, clock.speed)
    try:
        running = start_workers(config, builders={
            "notify": lambda c, stop: build_notify(c, stop, notify_clock.now),
            "response": lambda c, stop: build_response_watch(c, stop, notify_clock.now),
        })  # fmt: skip
    except BaseException:  # a worker that cannot be built must not leave the stack running
        server.stop()
        if started_stack:
            stack.down()
        raise
    started.append(running)
    progress = Progress(running, clock, out)
    escalation = Escalation(running, out, notify_clock)
    notify_clock.ceiling = escalation.ceiling
    # the escalation's timing has about a real second of margin at the test's speed: the
    # watch's searches must not slow the notifier's writes meanwhile (it resumes after the
    # ack, or once the weekend is replayed and the clocks are frozen)
    drained = threading.Event()
    running.workers["response"].paused = lambda: escalation.escalating() and not drained.is_set()
    _who_is_on_call(config, out)
    print(f"replaying {len(posts)} posts from {WEEKEND_START:%A %H:%M} UTC; crisis brewing "
          f"from {CRISIS_ONSET:%A %H:%M} UTC. Ctrl-C stops.", file=out, flush=True)  # fmt: skip
    drain_deadline: float | None = None
    announced = False
    watch = running.workers["response"]
    watched_at_drain, drained_at = 0, 0.0
    pile_shown = False
    ticks = 0
    try:
        with stop_on_signals(running.stop_event):
            while not running.stop_event.wait(0.2):
                escalation.watch()
                ticks += 1
                if not announced and ticks % 5 == 0:  # one line a second
                    progress.show()
                if _drained(running, server, posts[-1].published_at.timestamp()):
                    if not announced:
                        announced = True
                        drained.set()
                        clock.freeze()
                        notify_clock.freeze()
                        watched_at_drain, drained_at = watch.ticks, time.monotonic()
                        _what_to_open(config, escalation, out)
                    told = (watch.ticks > watched_at_drain + 1  # a whole look after the drain
                            or time.monotonic() - drained_at > WATCH_WAIT_S)  # fmt: skip
                    if told and not pile_shown:
                        pile_shown = True
                        waiting = watch.overdue.get(DEMO_TENANT, 0)
                        print(f"  what waits for an answer: {waiting} post(s) past their due "
                              f"time (veille inbox --tenant {DEMO_TENANT})", file=out,
                              flush=True)  # fmt: skip
                    if once and told and (escalation.stopped or not escalation.pages()):
                        break
                elif server.finished():
                    drain_deadline = drain_deadline or time.monotonic() + DRAIN_TIMEOUT_S
                    if time.monotonic() > drain_deadline:
                        print("timed out waiting for the pipeline to drain: "
                              + _drain_state(running, posts[-1].published_at.timestamp()),
                              file=out, flush=True)  # fmt: skip
                        break
    finally:
        running.stop()
        server.stop()
        if started_stack:
            stack.down()
    paged = escalation.pages()
    early = [r for r in paged if escalation.opened_at[r.incident_id] < CRISIS_ONSET]
    for name, failure in running.failures.items():
        print(f"{name} worker failed: {failure}", file=out)
    print(f"done: {len(paged)} page(s) for {DEMO_BRAND}, {len(early)} before the crisis began",
          file=out, flush=True)  # fmt: skip
    if running.failures:
        return 1
    if not once:  # stopped by the user: not a failure, whatever was replayed
        return 0
    return 0 if paged and escalation.stopped else 1


def _who_is_on_call(config: VeilleConfig, out: TextIO) -> None:
    saturday_night = CRISIS_ONSET + timedelta(hours=1)
    people = on_call(config.tenant(DEMO_TENANT).oncall, "week-end", saturday_night)
    names = ", ".join(p.name for p in people) or "personne"
    print(f"astreinte week-end de {DEMO_TENANT} le samedi soir (heure de Paris) : {names}",
          file=out, flush=True)  # fmt: skip


def _what_to_open(config: VeilleConfig, escalation: Escalation, out: TextIO) -> None:
    index = mentions_alias(config.elasticsearch, DEMO_TENANT)
    print("weekend replayed; the clock stops here. Open:", file=out, flush=True)
    if escalation.link:
        print(f"  the incident page: {escalation.link}", file=out, flush=True)
    print(f"  the mentions: curl '{config.elasticsearch.hosts[0]}/{index}/_search?"
          "q=sentiment.label:negative'", file=out, flush=True)  # fmt: skip
    prefix = config.elasticsearch.index_prefix
    print(f"  the incidents: VEILLE__ELASTICSEARCH__INDEX_PREFIX={prefix} veille incidents list"
          f" --tenant {DEMO_TENANT}   (Ctrl-C stops)", file=out, flush=True)  # fmt: skip
