"""MentionSink: a poll's batch to Kafka, then to the CursorStore — in that order, atomically.

Contract: `deliver` sends the batch's new mentions (those no other source emitted yet),
engagement updates and dead letters, flushes (acks=all, at most `produce_timeout_s`), and
only then commits cursor, seen ids and emitted mentions: first to the state log (with a
journal, ingest/statelog.py: durable before the local commit), then to the local store. The
cross-source check, the flush and the commit run under one lock, so two sources of one
worker reaching one post emit it once (sources polled by different workers may each emit
it: the same id, which the index absorbs). Any failure raises before the commit: the batch
is fetched again later, nothing is lost.
"""

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ingest.cursors import CursorStore, Emitted
from ingest.sources.base import FeedItem
from ingest.statelog import StateJournal
from runtime.kafka import DurableProducer
from schemas.deadletter import DeadLetter
from schemas.health import SourceHealthEvent
from schemas.mention import Mention
from schemas.topics import Topics, raw_key

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """A poll's output (ingest/assembler.py): new mentions (distinct ids), engagement updates
    of emitted ones, items to remember, and items that could not become mentions (with the
    reason)."""

    new: list[Mention] = field(default_factory=list)
    updates: list[Mention] = field(default_factory=list)
    seen: dict[str, tuple[tuple[int, int, int] | None, list[str]]] = field(default_factory=dict)
    new_items: int = 0
    items: list[FeedItem] = field(default_factory=list)
    rejected: list[tuple[str, bytes]] = field(default_factory=list)


class MentionSink:
    def __init__(
        self,
        producer: DurableProducer,
        topics: Topics,
        store: CursorStore,
        timeout_s: float,
        journal: StateJournal | None = None,
    ) -> None:
        self._producer = producer
        self._journal = journal
        self._topics = topics
        self._store = store
        self._timeout_s = timeout_s
        self._lock = threading.RLock()

    def deliver(
        self, source_id: str, batch: Batch, cursor: dict[str, Any], previous_cursor: dict[str, Any]
    ) -> int:
        """Produce, flush, commit; return the mentions produced (new ones and updates)."""
        with self._lock:
            already = self._store.emitted(m.id for m in batch.new)
            new = [m for m in batch.new if m.id not in already]  # ids unique (BatchAssembler)
            self.produce(new + batch.updates, [], batch.rejected)
            emitted = [
                Emitted(m.id, m.published_at.timestamp(), m.source, m.model_dump_json())
                for m in new + batch.updates
            ]
            if emitted or batch.seen or cursor != previous_cursor:
                if self._journal is not None:
                    self._journal.record(source_id, cursor, batch.seen, emitted)
                self._store.commit(source_id, cursor, batch.seen, emitted)
            return len(new) + len(batch.updates)

    def checkpoint(self, sources: list[str]) -> int:
        """Re-journal the cursors of `sources` when due (StateJournal.checkpoint)."""
        if self._journal is None:
            return 0
        with self._lock:
            return self._journal.checkpoint(self._store, sources)

    def produce(
        self,
        mentions: list[Mention],
        events: list[SourceHealthEvent],
        rejected: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """Send and flush (acks=all); raises if Kafka did not take every message. Rejected
        items go to the dead-letter topic with their reason."""
        if not mentions and not events and not rejected:
            return
        with self._lock:
            for reason, original in rejected:
                log.warning("ingest: dead-lettered: %s", reason)
                letter = DeadLetter(
                    stage="ingest",
                    error=reason,
                    failed_at=datetime.now(UTC),
                    value_b64=DeadLetter.encode(original) or "",
                )
                self._producer.send(self._topics.dlq, letter.id, letter.model_dump_json().encode())
            for mention in mentions:
                value = mention.model_dump_json().encode()
                self._producer.send(self._topics.raw, raw_key(mention), value)
            for event in events:
                value = event.model_dump_json().encode()
                self._producer.send(self._topics.health, event.source, value)
            self._producer.flush(timeout_s=self._timeout_s)

    def close(self) -> None:
        """Close the producer; what Kafka did not take was never committed, so it is
        fetched again at the next start."""
        try:
            self._producer.close(timeout_s=self._timeout_s)
        except Exception as exc:  # the producer's sender is stopped: nothing stale follows
            log.warning("ingest: producer closed with unsent messages (refetched later): %s", exc)
