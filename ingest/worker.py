"""Ingest worker: every source polled on its own schedule → brand match → mentions.raw.

One asyncio task per source; HTTP goes through one SafeClient (bounded concurrency overall
and per host), so a slow or dead source only ever delays itself. One poll: ask the
PollScheduler whether the source may fetch (ingest/scheduler.py) → fetch with the committed
cursor → the BatchAssembler's batch (dedup → match → mention; ingest/assembler.py) →
MentionSink: produce, flush (acks=all), only then commit cursor + seen ids + emitted
mentions to the CursorStore, atomically (ingest/delivery.py).

Contract:
- nothing is remembered before the flush succeeded: a failed flush (Kafka down, within
  `ingest.produce_timeout_s`) leaves the cursor where it was and pauses *every* source
  (the scheduler's Kafka pause); produce is serialised, so what waits for Kafka is bounded,
  nothing is dropped, and the items are fetched again from the unmoved cursors;
- a failing source (SourceError, FetchError) is logged with its reason and retried with the
  scheduler's backoff; its health is tracked (ingest/health.py), and `source_silent` /
  `source_recovered` events go to the health topic (ingest.health);
- every `ingest.reobserve_interval_s`, Observing sources look their recent posts up by id;
  changed engagement is produced as updates of the same mention ids (ingest/reobserve.py);
- with a SourceOwnership (ingest/ownership.py; `veille ingest run` always has one), `run`
  polls only the sources the group gave this worker: `start_sources` / `stop_sources` are
  called from the membership thread and return once done; stopping cancels the sources'
  tasks and waits for their deliveries in flight, so each source has one poller at a time.
  Without one (`run_once`, tests, the demo) every source is this worker's;
- the local store cannot be written (its disk full: StateStoreError): the worker stops
  cleanly — every source stopped, the group left — and `run` raises it. What was produced
  is journaled already, so a restart (with room on the disk) replays it and resumes with
  nothing lost.
"""

import asyncio
import logging
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.assembler import BatchAssembler
from ingest.cursors import CursorStore, StateStoreError
from ingest.delivery import Batch, MentionSink
from ingest.health import SourceHealth
from ingest.http import FetchError, SafeClient
from ingest.matcher import BrandMatcher
from ingest.ownership import SourceOwnership
from ingest.reobserve import observe, recent_native_ids
from ingest.scheduler import PollScheduler
from ingest.sources.base import Source, SourceError
from ingest.statelog import StateJournal
from runtime.kafka import DurableProducer
from schemas.config import EventTimeSettings, IngestSettings
from schemas.health import SourceHealthEvent
from schemas.topics import Topics

log = logging.getLogger(__name__)

HEALTH_SAVE_S = 30.0


@dataclass
class IngestStats:
    """Counters since start (the demo's progress line reads them), and each source's health."""

    polls: int = 0
    items: int = 0
    mentions: int = 0
    updates: int = 0
    health: dict[str, SourceHealth] = field(default_factory=dict)


class IngestWorker:
    def __init__(
        self,
        sources: Sequence[Source],
        matcher: BrandMatcher,
        producer: DurableProducer,
        topics: Topics,
        store: CursorStore,
        settings: IngestSettings,
        event_time: EventTimeSettings,
        stop: threading.Event,
        ownership: SourceOwnership | None = None,
        journal: StateJournal | None = None,
    ) -> None:
        """`journal`: every commit also to the state log; `ownership`: poll only the
        sources the group assigns (ingest/ownership.py)."""
        self._sources = list(sources)
        self._by_id = {s.id: s for s in sources}
        self._ownership = ownership
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: SafeClient | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._inflight: dict[str, set[asyncio.Future[int]]] = {}
        self.failure: StateStoreError | None = None
        self.assembler = BatchAssembler(matcher, store, settings, event_time)
        self._sink = MentionSink(producer, topics, store, settings.produce_timeout_s, journal)
        self._store = store
        self._settings = settings
        self._stop = stop
        self.scheduler = PollScheduler(sources, settings)
        self._host_blocks: dict[str, float] = {}  # Retry-After per host, across polls
        health = {s.id: SourceHealth.of(s, settings.silent_after_errors) for s in sources}
        self.stats = IngestStats(health=health)

    # --- running ----------------------------------------------------------------------------

    def run(self) -> None:
        log.info("ingest: started with %d source(s)", len(self._sources))
        try:
            asyncio.run(self._run_forever())
        finally:
            self.close()
            log.info("ingest: stopped")
        if self.failure is not None:
            raise self.failure

    def run_once(self) -> int:
        """Poll every due source once, concurrently; return how many mentions were produced."""
        return asyncio.run(self._run_due_once())

    def reobserve_once(self) -> int:
        """Re-observe every source's recent posts once; return the updates produced."""
        return asyncio.run(self._reobserve_all_once())

    def close(self) -> None:
        """Close the producer (what Kafka did not take was never committed: it is fetched
        again at the next start) and the store."""
        try:
            self._sink.close()
        finally:
            self._store.close()

    def save_health(self) -> None:
        """The health of the sources this worker polls (the others' is their owners')."""
        now = datetime.now(UTC)
        owned = set(self.polled())
        self._store.save_health(
            {k: h.snapshot(now) for k, h in self.stats.health.items() if k in owned}
        )

    def polled(self) -> list[str]:
        """Ids of the sources this worker polls now (all of them without ownership)."""
        if self._ownership is None or self._loop is None:
            return [s.id for s in self._sources]
        return list(self._tasks)

    # --- ownership (called from the membership thread) ------------------------------------
    def start_sources(self, ids: list[str]) -> None:
        self._call_in_loop(self._start(ids))

    def stop_sources(self, ids: list[str]) -> None:
        self._call_in_loop(self._release(ids))

    def _call_in_loop(self, work: Coroutine[Any, Any, None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            work.close()
            return
        asyncio.run_coroutine_threadsafe(work, loop).result()

    async def _start(self, ids: list[str]) -> None:
        assert self._client is not None
        for source_id in ids:
            if source_id not in self._tasks and not self._stop.is_set():
                source = self._by_id[source_id]
                self._tasks[source_id] = asyncio.create_task(
                    self._source_loop(self._client, source)
                )
        log.info("ingest: polling %d source(s): %s", len(self._tasks),
                 ", ".join(sorted(self._tasks)))  # fmt: skip

    async def _release(self, ids: list[str]) -> None:
        """Stop polling `ids`: cancel their tasks, then wait for their deliveries in flight
        (a delivery runs in a thread and is never cut: its cursor ends journaled)."""
        tasks = [self._tasks.pop(i) for i in ids if i in self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        deliveries = [f for i in ids for f in self._inflight.get(i, ())]
        await asyncio.gather(*deliveries, return_exceptions=True)
        log.info("ingest: stopped polling %s", ", ".join(ids))

    async def _deliver(self, source_id: str, batch: Batch, cursor: dict[str, Any],
                       previous: dict[str, Any]) -> int:  # fmt: skip
        """The sink's delivery in a thread, tracked so that a revocation can wait for it."""
        future = asyncio.ensure_future(
            asyncio.to_thread(self._sink.deliver, source_id, batch, cursor, previous)
        )
        running = self._inflight.setdefault(source_id, set())
        running.add(future)
        future.add_done_callback(running.discard)
        return await asyncio.shield(future)

    async def _run_due_once(self) -> int:
        client = SafeClient(self._settings, host_blocks=self._host_blocks)
        try:
            due = [s for s in self._sources if self.scheduler.wait_s(s) <= 0]
            counts = await asyncio.gather(*(self._poll(client, s) for s in due))
            self.save_health()
            return sum(counts)
        finally:
            await client.aclose()

    async def _reobserve_all_once(self) -> int:
        client = SafeClient(self._settings, host_blocks=self._host_blocks)
        try:
            done = await asyncio.gather(*(self._reobserve(client, s) for s in self._sources))
            return sum(done)
        finally:
            await client.aclose()

    async def _run_forever(self) -> None:
        client = SafeClient(self._settings, host_blocks=self._host_blocks)
        self._client = client
        self._loop = asyncio.get_running_loop()
        try:
            tasks = [asyncio.create_task(self._prune_loop())]
            tasks.append(asyncio.create_task(self._health_loop()))
            if self._settings.engagement_horizon_h > 0:
                tasks.append(asyncio.create_task(self._reobserve_loop(client)))
            if self._ownership is None:
                await self._start([s.id for s in self._sources])
            else:
                self._ownership.start(self)
            while not self._stop.is_set():
                await asyncio.sleep(0.1)
            await self._release(list(self._tasks))  # stopped before the group hears of it
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            if self._ownership is not None:
                await asyncio.to_thread(self._ownership.close)
            await client.aclose()

    async def _health_loop(self) -> None:
        """Every 30 s: each source's health into the store, for `veille ingest health`."""
        while not self._stop.is_set():
            await asyncio.sleep(HEALTH_SAVE_S)
            try:
                await asyncio.to_thread(self.save_health)
            except StateStoreError as exc:
                self._state_failed(exc)

    async def _prune_loop(self) -> None:
        """Hourly: forget seen ids and emitted mentions older than `seen_retention_days`."""
        while not self._stop.is_set():
            await asyncio.to_thread(self._store.prune, self._settings.seen_retention_days * 86400)
            if self._ownership is not None:
                try:
                    await asyncio.to_thread(self._sink.checkpoint, self.polled())
                except Exception as exc:  # retried at the next turn, within the retention
                    log.warning("ingest: cursor checkpoint failed: %s", exc)
            await asyncio.sleep(3600)

    async def _reobserve_loop(self, client: SafeClient) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self._settings.reobserve_interval_s)
            owned = [self._by_id[i] for i in self.polled()]
            await asyncio.gather(*(self._reobserve(client, s) for s in owned))

    async def _source_loop(self, client: SafeClient, source: Source) -> None:
        while not self._stop.is_set():
            wait = self.scheduler.wait_s(source)
            if wait > 0:  # stop cancels the task: no need to wake up before it is due
                await asyncio.sleep(wait)
                continue
            try:
                await self._poll(client, source)
            except Exception:  # never let one source's task die: it would go silent
                log.exception("ingest: %s: poll crashed; retried at its next interval", source.id)
                self.scheduler.crashed(source)

    # --- one poll ---------------------------------------------------------------------------

    async def _poll(self, client: SafeClient, source: Source) -> int:
        """Poll `source` once (if the scheduler lets it); return the mentions produced."""
        if not self.scheduler.start_poll(source):  # Kafka is down: fetch nothing now
            return 0
        cursor = self._store.cursor(source.id)
        try:
            fetched = await source.poll(client, cursor)
        except (SourceError, FetchError) as exc:
            await self._source_failed(source, str(exc), exc.retry_after_s)
            return 0
        except Exception as exc:  # a bug or an unexpected shape: that source only
            log.exception("ingest: %s: unexpected failure", source.id)
            await self._source_failed(source, f"{type(exc).__name__}: {exc}", None)
            return 0
        self.stats.polls += 1
        if fetched.wait_s is not None:  # the API's rate-limit headers asked for a pause
            self.scheduler.asked_to_wait(source, fetched.wait_s)
        batch = self.assembler.assemble(source, fetched, datetime.now(UTC))
        await self.assembler.complete(client, source, batch)  # e.g. a blog's full text
        unchanged = not (batch.new or batch.updates or batch.seen or batch.rejected) and (
            fetched.cursor == cursor
        )
        try:
            if unchanged:  # 304 Not Modified, or nothing new: nothing to produce or commit
                produced = 0
            else:
                produced = await self._deliver(source.id, batch, fetched.cursor, cursor)
        except StateStoreError as exc:
            self._state_failed(exc)
            return 0
        except Exception as exc:  # Kafka did not take them: nothing committed, polled again
            backoff = self.scheduler.kafka_failed(source)
            log.warning(
                "ingest: %s: producing failed, every source paused %.0f s: %s",
                source.id,
                backoff,
                exc,
            )
            return 0
        self.scheduler.delivered(source)
        self.stats.items += batch.new_items
        self.stats.mentions += produced - len(batch.updates)
        self.stats.updates += len(batch.updates)
        health = self.stats.health[source.id]
        await self._publish(health.succeeded(batch.new_items, datetime.now(UTC)))
        health.export()
        return produced

    def _state_failed(self, exc: StateStoreError) -> None:
        if self.failure is None:
            log.error("ingest: the state store cannot be written (%s): stopping; what was "
                      "produced is journaled, a restart resumes from it", exc)  # fmt: skip
        self.failure = exc
        self._stop.set()

    async def _source_failed(
        self, source: Source, reason: str, retry_after_s: float | None
    ) -> None:
        backoff = self.scheduler.source_failed(source, retry_after_s)
        health = self.stats.health[source.id]
        log.warning(
            "ingest: %s: %s (error %d in a row, next try in %.0f s)",
            source.id,
            reason,
            health.consecutive_errors + 1,
            backoff,
        )
        await self._publish(health.failed(reason, datetime.now(UTC)))
        health.export()

    async def _reobserve(self, client: SafeClient, source: Source) -> int:
        """Current engagement of `source`'s recent posts → updates (errors only logged)."""
        now = datetime.now(UTC)
        horizon = timedelta(hours=self._settings.engagement_horizon_h)
        native_ids = recent_native_ids(self._store, source.id, now, horizon)
        try:
            items = await observe(source, client, native_ids)
        except (SourceError, FetchError) as exc:
            log.warning("ingest: %s: re-observation failed: %s", source.id, exc)
            return 0
        batch = self.assembler.updates(source, items, now)
        if not batch.updates:
            return 0
        if source.id not in self.polled():  # let go of while it was being observed
            return 0
        cursor = self._store.cursor(source.id)
        try:
            produced = await self._deliver(source.id, batch, cursor, cursor)
        except StateStoreError as exc:
            self._state_failed(exc)
            return 0
        except Exception as exc:
            log.warning("ingest: %s: updates not produced, next round retries: %s", source.id, exc)
            return 0
        self.stats.updates += produced
        return produced

    async def _publish(self, event: SourceHealthEvent | None) -> None:
        if event is None:
            return
        log.warning("ingest: %s: %s", event.event, event.message)
        try:
            await asyncio.to_thread(self._sink.produce, [], [event])
        except Exception as exc:  # reported in the log; the next transition is produced again
            log.error("ingest: could not produce %s for %s: %s", event.event, event.source, exc)
