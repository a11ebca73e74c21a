"""Ingest worker: poll each due source → match brand queries → produce Mentions to mentions.raw.

Contract: an item is remembered as emitted only after the producer flush succeeded, so a
failed flush re-emits it on the next poll (ids are stable: the repeat is absorbed downstream).
A failing source is logged with its reason and retried at its next interval; it never stops
the others. This first version remembers emitted ids in memory (durable cursors: ingest issue).
"""

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ingest.matcher import BrandMatcher
from ingest.normalize import to_mention
from ingest.sources.base import FeedItem, SourceError
from veille.kafka import DurableProducer

log = logging.getLogger(__name__)

SEEN_CAPACITY = 200_000


class PolledSource(Protocol):
    id: str
    kind: str
    interval_s: float
    tenants: set[str] | None

    def poll(self) -> list[FeedItem]: ...


@dataclass
class SourceHealth:
    last_success: datetime | None = None
    consecutive_errors: int = 0
    last_error: str | None = None
    items_total: int = 0


@dataclass
class IngestStats:
    polls: int = 0
    items: int = 0
    mentions: int = 0
    health: dict[str, SourceHealth] = field(default_factory=dict)


class IngestWorker:
    def __init__(
        self,
        sources: Sequence[PolledSource],
        matcher: BrandMatcher,
        producer: DurableProducer,
        topic: str,
        stop: threading.Event,
    ) -> None:
        self._sources = sources
        self._matcher = matcher
        self._producer = producer
        self._topic = topic
        self._stop = stop
        self._next_poll = {s.id: 0.0 for s in sources}
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.stats = IngestStats(health={s.id: SourceHealth() for s in sources})

    def run(self) -> None:
        log.info("ingest: started with %d source(s)", len(self._sources))
        try:
            while not self._stop.is_set():
                self.run_once()
                wait = min(self._next_poll.values(), default=1.0) - time.monotonic()
                self._stop.wait(max(0.05, min(wait, 1.0)))
        finally:
            self._producer.close()
            log.info("ingest: stopped")

    def run_once(self) -> int:
        """Poll every due source once; return how many mentions were produced."""
        produced = 0
        for source in self._sources:
            if time.monotonic() < self._next_poll[source.id] or self._stop.is_set():
                continue
            self._next_poll[source.id] = time.monotonic() + source.interval_s
            produced += self._poll(source)
        return produced

    def _poll(self, source: PolledSource) -> int:
        health = self.stats.health[source.id]
        try:
            items = source.poll()
        except SourceError as exc:
            health.consecutive_errors += 1
            health.last_error = str(exc)
            log.warning("ingest: %s (error %d in a row)", exc, health.consecutive_errors)
            return 0
        self.stats.polls += 1
        fresh = [i for i in items if (source.id, i.native_id) not in self._seen]
        fetched_at = datetime.now(UTC)
        produced = 0
        for item in fresh:
            text = f"{item.title or ''}\n{item.text}"
            for match in self._matcher.match(text, source.tenants):
                mention = to_mention(item, source.id, source.kind, match, fetched_at)
                self._producer.send(self._topic, mention.id, mention.model_dump_json().encode())
                produced += 1
        try:
            self._producer.flush()
        except Exception as exc:  # Kafka did not take them: they stay unseen, retried next poll
            log.warning("ingest: %s: producing failed, will retry: %s", source.id, exc)
            self._next_poll[source.id] = time.monotonic() + 1.0
            return 0
        for item in fresh:
            self._remember((source.id, item.native_id))
        health.last_success = fetched_at
        health.consecutive_errors = 0
        health.items_total += len(fresh)
        self.stats.items += len(fresh)
        self.stats.mentions += produced
        return produced

    def _remember(self, key: tuple[str, str]) -> None:
        self._seen[key] = None
        while len(self._seen) > SEEN_CAPACITY:
            self._seen.popitem(last=False)
