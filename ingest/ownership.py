"""SourceOwnership: which configured sources this ingest worker polls, decided by the
broker's group membership, not by a lock of ours.

Every `veille ingest run` of one deployment joins the consumer group `<prefix>veille-ingest`
on the state topic (ingest/statelog.py); the group spreads the topic's partitions over the
live members, and a source belongs to whoever holds partition `partition_of(source, P)`.
The consumer never reads the topic (its partitions stay paused): membership is all it is for.

Contract:
- revoked (a rebalance, or lost when the session expired): the sources of those partitions
  are stopped *before* the callback returns — a poll in flight is cancelled, a delivery in
  flight finishes, so its cursor is journaled — and only then can the group hand them on
  (kafka-python's eager protocol: members revoke before they rejoin);
- assigned: the log of those partitions is applied to the local store first (`replay`,
  retried every `RETRY_S` while it fails), then their sources start from the cursors the
  previous owner journaled;
- a worker killed without leaving (kill -9) is expired by the broker after the consumer's
  `session_timeout_ms`; its partitions then go to the others. A clean stop leaves the group
  at once.
Not guarded: a member cut off from the broker keeps polling until it notices (heartbeat
failure → lost); for that while, two workers may poll one source. Mention ids are
deterministic, so what both produce is the same ids, absorbed by the index.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.structs import TopicPartition

from ingest.cursors import CursorStore
from ingest.sources.base import Source
from ingest.statelog import StateJournal, partition_of

log = logging.getLogger(__name__)

POLL_MS = 500
RETRY_S = 2.0


class Control(Protocol):
    """What the worker lets ownership do: both block until done."""

    def start_sources(self, ids: list[str]) -> None: ...

    def stop_sources(self, ids: list[str]) -> None: ...


class SourceOwnership(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self,
        join: Callable[[ConsumerRebalanceListener], KafkaConsumer],
        journal: StateJournal,
        store: CursorStore,
        sources: Sequence[Source],
        stop: threading.Event,
    ) -> None:
        self._join = join
        self._consumer: KafkaConsumer | None = None
        self._journal = journal
        self._store = store
        self._by_partition: dict[int, list[str]] = {}
        for source in sources:
            p = partition_of(source.id, journal.partitions)
            self._by_partition.setdefault(p, []).append(source.id)
        self._stop = stop
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self.owned: set[int] = set()
        self._control: Control | None = None
        self._thread: threading.Thread | None = None

    def sources_of(self, partitions: set[int]) -> list[str]:
        return [s for p in sorted(partitions) for s in self._by_partition.get(p, [])]

    # --- the group's callbacks (in kafka-python's own thread) ---------------------------
    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        with self._lock:
            self._pending |= {tp.partition for tp in assigned} - self.owned
        log.info("ingest: assigned state partitions %s", sorted(tp.partition for tp in assigned))

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        lost = {tp.partition for tp in revoked}
        with self._lock:
            self._pending -= lost
            stopping = self.sources_of(self.owned & lost)
            self.owned -= lost
            if stopping and self._control is not None:
                self._control.stop_sources(stopping)
        if lost:
            log.info("ingest: let go of state partitions %s (%d source(s))", sorted(lost),
                     len(stopping))  # fmt: skip

    # --- the membership thread ------------------------------------------------------------
    def start(self, control: Control) -> None:
        """Join the group (`join(self)`: a consumer subscribed to the state topic with this
        listener) and keep its membership in a thread of its own."""
        self._control = control
        self._consumer = self._join(self)
        self._thread = threading.Thread(target=self._run, name="veille-ingest-owner", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Leave the group (call once the sources are stopped): the others take over now."""
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            self._control = None  # the worker's loop is gone: nothing to stop any more
        if self._consumer is not None:
            self._consumer.close()

    def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while not self._stop.is_set():
            try:
                consumer.poll(timeout_ms=POLL_MS)
                consumer.pause(*consumer.assignment())
            except Exception as exc:  # the broker away: kafka-python reconnects
                log.warning("ingest: group membership: %s", exc)
                self._stop.wait(RETRY_S)
                continue
            self._take_pending()

    def _take_pending(self) -> None:
        with self._lock:
            pending = set(self._pending)
        if not pending:
            return
        try:
            applied = self._journal.replay(self._store, pending)
        except Exception as exc:  # retried at the next turn; nothing polled meanwhile
            log.warning("ingest: state of partitions %s not loaded yet: %s", sorted(pending), exc)
            self._stop.wait(RETRY_S)
            return
        with self._lock:
            taken = pending & self._pending  # not revoked while the log was read
            self._pending -= taken
            self.owned |= taken
            starting = self.sources_of(taken)
            if starting and self._control is not None:
                self._control.start_sources(starting)
        log.info("ingest: took state partitions %s: %d record(s) applied, %d source(s) started",
                 sorted(taken), applied, len(starting))  # fmt: skip
