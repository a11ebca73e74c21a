"""Ingest worker: every source polled on its own schedule → brand match → mentions.raw.

One asyncio task per source; HTTP goes through one SafeClient (bounded concurrency overall
and per host), so a slow or dead source only ever delays itself. A poll's batch goes:
fetch (with the committed cursor) → drop items this source already emitted → match brand
queries → Mentions (one per matched tenant; ids from the canonical URL, so a post already
emitted through another source is not emitted again) → produce, flush (acks=all) → only
then commit cursor + seen ids + emitted mentions to the CursorStore, atomically.

Contract:
- nothing is remembered before the flush succeeded: a failed flush (Kafka down, within
  `ingest.produce_timeout_s`) leaves the cursor where it was and pauses *every* source for
  a growing backoff (2, 4 … 60 s); then one batch at a time tries again. Produce is
  serialised and no source fetches while paused, so what waits for Kafka is bounded (the
  batches tried during one delivery timeout), nothing is dropped, and the items are
  fetched again from the unmoved cursors once Kafka is back;
- a failing source (SourceError, FetchError) is logged with its reason and retried at its
  interval, backed off exponentially (at least the server's Retry-After), up to
  `ingest.error_backoff_max_s`; its health is tracked, and `source_silent` /
  `source_recovered` events go to the health topic (ingest.health);
- an item seen again within `ingest.engagement_horizon_h` of its publication with other
  engagement counts is produced again as an update of the same mention id;
- an item that cannot become a Mention goes to the dead-letter topic with the reason and is
  remembered, so it is never retried forever (delivery: ingest/delivery.py).
"""

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.cursors import CursorStore, SeenItem
from ingest.delivery import Batch, MentionSink
from ingest.health import SourceHealth
from ingest.http import FetchError, SafeClient
from ingest.matcher import BrandMatcher
from ingest.normalize import to_mention
from ingest.reobserve import counts, engagement_updates, observe, recent_native_ids
from ingest.sources.base import FeedItem, Fetched, Source, SourceError
from runtime.kafka import DurableProducer
from schemas.config import IngestSettings
from schemas.health import SourceHealthEvent
from schemas.topics import Topics

log = logging.getLogger(__name__)

KAFKA_BACKOFF_MAX_S = 60.0
HEALTH_SAVE_S = 30.0


@dataclass
class IngestStats:
    polls: int = 0
    items: int = 0
    mentions: int = 0
    updates: int = 0
    health: dict[str, SourceHealth] = field(default_factory=dict)
    events: list[SourceHealthEvent] = field(default_factory=list)


class IngestWorker:
    def __init__(
        self,
        sources: Sequence[Source],
        matcher: BrandMatcher,
        producer: DurableProducer,
        topics: Topics,
        store: CursorStore,
        settings: IngestSettings,
        stop: threading.Event,
    ) -> None:
        self._sources = sources
        self._matcher = matcher
        self._sink = MentionSink(producer, topics, store, settings.produce_timeout_s)
        self._store = store
        self._settings = settings
        self._stop = stop
        self._next_poll = {s.id: 0.0 for s in sources}
        self._failures = {s.id: 0 for s in sources}
        self._host_blocks: dict[str, float] = {}  # Retry-After per host, across polls
        self._kafka_failures = 0
        self._kafka_paused_until = 0.0  # after a failed flush, no source fetches before
        self.stats = IngestStats(health={s.id: self._new_health(s) for s in sources})

    def _new_health(self, source: Source) -> SourceHealth:
        silent_after_s = getattr(getattr(source, "settings", None), "silent_after_s", None)
        return SourceHealth(
            source.id,
            source.kind,
            sorted(source.tenants or []),
            self._settings.silent_after_errors,
            silent_after_s,
        )

    # --- running ----------------------------------------------------------------------------

    def run(self) -> None:
        log.info("ingest: started with %d source(s)", len(self._sources))
        try:
            asyncio.run(self._run_forever())
        finally:
            self.close()
            log.info("ingest: stopped")

    def run_once(self) -> int:
        """Poll every due source once, concurrently; return how many mentions were produced."""
        return asyncio.run(self._run_due_once())

    def close(self) -> None:
        """Close the producer (what Kafka did not take was never committed: it is fetched
        again at the next start) and the store."""
        try:
            self._sink.close()
        finally:
            self._store.close()

    async def _run_due_once(self) -> int:
        client = SafeClient(self._settings, host_blocks=self._host_blocks)
        try:
            now = time.monotonic()
            due = [s for s in self._sources if self._next_poll[s.id] <= now]
            counts = await asyncio.gather(*(self._poll(client, s) for s in due))
            self.save_health()
            return sum(counts)
        finally:
            await client.aclose()

    async def _run_forever(self) -> None:
        client = SafeClient(self._settings, host_blocks=self._host_blocks)
        try:
            tasks = [asyncio.create_task(self._source_loop(client, s)) for s in self._sources]
            tasks.append(asyncio.create_task(self._prune_loop()))
            tasks.append(asyncio.create_task(self._health_loop()))
            if self._settings.engagement_horizon_h > 0:
                tasks.append(asyncio.create_task(self._reobserve_loop(client)))
            while not self._stop.is_set():
                await asyncio.sleep(0.1)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await client.aclose()

    def save_health(self) -> None:
        now = datetime.now(UTC)
        self._store.save_health({k: h.snapshot(now) for k, h in self.stats.health.items()})

    async def _health_loop(self) -> None:
        """Every 30 s: each source's health into the store, for `veille ingest health`."""
        while not self._stop.is_set():
            await asyncio.sleep(HEALTH_SAVE_S)
            await asyncio.to_thread(self.save_health)

    async def _prune_loop(self) -> None:
        """Hourly: forget seen ids and emitted mentions older than `seen_retention_days`."""
        while not self._stop.is_set():
            await asyncio.to_thread(self._store.prune, self._settings.seen_retention_days * 86400)
            await asyncio.sleep(3600)

    async def _reobserve_loop(self, client: SafeClient) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self._settings.reobserve_interval_s)
            await asyncio.gather(*(self._reobserve(client, s) for s in self._sources))

    async def _source_loop(self, client: SafeClient, source: Source) -> None:
        while not self._stop.is_set():
            wait = self._next_poll[source.id] - time.monotonic()
            if wait > 0:  # stop cancels the task: no need to wake up before it is due
                await asyncio.sleep(wait)
                continue
            try:
                await self._poll(client, source)
            except Exception:  # never let one source's task die: it would go silent
                log.exception("ingest: %s: poll crashed; retried at its next interval", source.id)
                self._next_poll[source.id] = time.monotonic() + source.interval_s

    # --- one poll ---------------------------------------------------------------------------

    async def _poll(self, client: SafeClient, source: Source) -> int:
        """Poll `source` once and schedule its next poll; return the mentions produced."""
        if self._kafka_paused_until > time.monotonic():  # Kafka is down: fetch nothing now
            self._next_poll[source.id] = self._kafka_paused_until
            return 0
        self._next_poll[source.id] = time.monotonic() + source.interval_s
        health = self.stats.health[source.id]
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
            self._next_poll[source.id] = max(
                self._next_poll[source.id], time.monotonic() + fetched.wait_s
            )
        batch = self._batch(source, fetched)
        if batch.new and hasattr(source, "complete"):  # e.g. a blog's full text, matched only
            await self._complete(client, source, batch)
        unchanged = not (batch.new or batch.updates or batch.seen or batch.rejected) and (
            fetched.cursor == cursor
        )
        try:
            if unchanged:  # 304 Not Modified, or nothing new: nothing to produce or commit
                produced = 0
            else:
                produced = await asyncio.to_thread(
                    self._sink.deliver, source.id, batch, fetched.cursor, cursor
                )
        except Exception as exc:  # Kafka did not take them: nothing committed, polled again
            self._kafka_failures += 1
            backoff = min(KAFKA_BACKOFF_MAX_S, 2.0**self._kafka_failures)
            self._kafka_paused_until = time.monotonic() + backoff
            self._next_poll[source.id] = self._kafka_paused_until
            log.warning(
                "ingest: %s: producing failed, every source paused %.0f s: %s",
                source.id,
                backoff,
                exc,
            )
            return 0
        self._kafka_failures = 0
        self._failures[source.id] = 0
        self.stats.items += batch.new_items
        self.stats.mentions += produced - len(batch.updates)
        self.stats.updates += len(batch.updates)
        await self._publish(health.succeeded(batch.new_items, datetime.now(UTC)))
        return produced

    async def _source_failed(
        self, source: Source, reason: str, retry_after_s: float | None
    ) -> None:
        self._failures[source.id] += 1
        backoff = min(
            self._settings.error_backoff_max_s,
            source.interval_s * 2 ** (self._failures[source.id] - 1),
        )
        if retry_after_s is not None:
            backoff = max(backoff, min(retry_after_s, self._settings.error_backoff_max_s))
        self._next_poll[source.id] = time.monotonic() + backoff
        health = self.stats.health[source.id]
        log.warning(
            "ingest: %s: %s (error %d in a row, next try in %.0f s)",
            source.id,
            reason,
            health.consecutive_errors + 1,
            backoff,
        )
        await self._publish(health.failed(reason, datetime.now(UTC)))

    def _batch(self, source: Source, fetched: Fetched) -> Batch:
        now = datetime.now(UTC)
        seen = self._store.seen(source.id, (i.native_id for i in fetched.items))
        batch = Batch(rejected=[(f"{source.id}: {why}", raw) for why, raw in fetched.rejected])
        fresh: dict[str, FeedItem] = {}
        for item in fetched.items:
            if item.native_id in seen:
                self._add_updates(item, seen[item.native_id], now, batch)
            else:
                fresh.setdefault(item.native_id, item)
        batch.new_items = len(fresh)
        # oldest first: feeds list newest first, and each partition must carry event time in
        # order, or the alert worker's watermark would make the older ones late
        batch.items = sorted(fresh.values(), key=lambda i: i.published_at)
        for item in batch.items:
            text = f"{item.title or ''}\n{item.text}"
            matches = self._matcher.match(
                text, source.tenants, lang=item.lang, source=source.id, source_kind=source.kind
            )
            try:
                mentions = [to_mention(item, source.id, source.kind, m, now) for m in matches]
            except ValueError as exc:  # a poison item: dead-lettered, never retried forever
                reason = f"{source.id}: item {item.native_id!r}: {exc}"
                batch.rejected.append((reason, repr(item).encode()))
                mentions = []
            batch.new.extend(mentions)
            batch.seen[item.native_id] = (counts(item), [m.id for m in mentions])
        return batch

    def deliver_items(self, source: Any, items: list[FeedItem]) -> int:
        """Match, produce and remember items handed over directly (HTTP push), in the
        caller's thread; raises if Kafka did not take them (nothing remembered then)."""
        batch = self._batch(source, Fetched(items, {}))
        produced = self._sink.deliver(source.id, batch, {}, {})
        self.stats.items += batch.new_items
        self.stats.mentions += produced - len(batch.updates)
        return produced

    def _add_updates(self, item: FeedItem, seen: SeenItem, now: datetime, batch: Batch) -> None:
        horizon = timedelta(hours=self._settings.engagement_horizon_h)
        updates = engagement_updates(item, seen, now, horizon, self._store)
        if updates:
            batch.updates.extend(updates)
            batch.seen[item.native_id] = (counts(item), seen.mention_ids)

    def reobserve_once(self) -> int:
        """Re-observe every source's recent posts once; return the updates produced."""
        return asyncio.run(self._reobserve_all_once())

    async def _reobserve_all_once(self) -> int:
        client = SafeClient(self._settings, host_blocks=self._host_blocks)
        try:
            done = await asyncio.gather(*(self._reobserve(client, s) for s in self._sources))
            return sum(done)
        finally:
            await client.aclose()

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
        seen = self._store.seen(source.id, (i.native_id for i in items))
        batch = Batch()
        for item in items:
            if item.native_id in seen:
                self._add_updates(item, seen[item.native_id], now, batch)
        if not batch.updates:
            return 0
        cursor = self._store.cursor(source.id)
        try:
            produced = await asyncio.to_thread(self._sink.deliver, source.id, batch, cursor, cursor)
        except Exception as exc:
            log.warning("ingest: %s: updates not produced, next round retries: %s", source.id, exc)
            return 0
        self.stats.updates += produced
        return produced

    async def _complete(self, client: SafeClient, source: Any, batch: Batch) -> None:
        items = {i.native_id: i for i in batch.items}
        done: dict[str, FeedItem] = {}
        for index, mention in enumerate(batch.new):
            item = done.get(mention.native_id)
            if item is None:
                item = done[mention.native_id] = await source.complete(
                    client, items[mention.native_id]
                )
            if item.text != mention.text:
                batch.new[index] = mention.model_copy(update={"text": item.text})

    async def _publish(self, event: SourceHealthEvent | None) -> None:
        if event is None:
            return
        self.stats.events.append(event)
        log.warning("ingest: %s: %s", event.event, event.message)
        try:
            await asyncio.to_thread(self._sink.produce, [], [event])
        except Exception as exc:  # reported in the log; the next transition is produced again
            log.error("ingest: could not produce %s for %s: %s", event.event, event.source, exc)
