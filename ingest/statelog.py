"""The ingest state log: every CursorStore commit, journaled on the `<prefix>ingest.state`
topic, so that whichever ingest worker owns a source next resumes from its cursor.

Layout: `ingest.state_partitions` partitions, created by `veille setup` and at the start of
`veille ingest run`. Every record of a source goes to partition `partition_of(source, P)`
(CRC-32 of its id modulo P: stable across processes and Python versions, unlike hash());
key = source id; value = a `StateDelta` (the cursor, the newly seen items, the emitted
mentions of one commit). The same partitions are the unit of ownership (ingest/ownership.py):
the group member assigned partition p polls the sources of p, and only it writes there.

Why a Kafka topic, not the search engine or a shared file: ingest already depends on the
broker and nothing else; the group that assigns the partitions is the broker's; and the log
of a partition is exactly what its next owner must read, in order, with nothing to lock.
The embedded noida-db does not compact, so the log holds deltas, not snapshots: the topic's
retention is `ingest.seen_retention_days` (a delta expires when the local store would prune
what it says), and each owner re-journals its sources' cursors daily (`checkpoint`), so a
quiet source's cursor never expires.

Contract:
- `record` is called after the batch's mentions are durable (acks=all) and before the local
  commit; it returns once the record is durable too, and raises otherwise: then nothing is
  committed and the batch is produced again (same mention ids);
- `replay` applies, in log order, every record of the given partitions from the store's
  applied offset up to the end offsets read at the call (everything the previous owner
  journaled before it let go); applying a record twice is harmless (later wins).
"""

import logging
import time
import zlib
from collections.abc import Iterable
from typing import Any

from kafka import KafkaConsumer
from kafka.structs import TopicPartition
from pydantic import BaseModel

from ingest.cursors import Change, CursorStore, Emitted, Seen
from runtime.kafka import DurableProducer, ensure_topic, make_reader
from schemas.config import IngestSettings, KafkaSettings

log = logging.getLogger(__name__)

STATE_TOPIC = "ingest.state"
CHECKPOINT_S = 86400.0
REPLAY_TIMEOUT_S = 120.0


def partition_of(source_id: str, partitions: int) -> int:
    """The state partition (and so the owner) of a source."""
    return zlib.crc32(source_id.encode("utf-8")) % partitions


def state_topic(kafka: KafkaSettings) -> str:
    return kafka.topic_prefix + STATE_TOPIC


def ensure_state_topic(kafka: KafkaSettings, ingest: IngestSettings) -> bool:
    """Create the state topic if missing (True if created here)."""
    retention_ms = int(ingest.seen_retention_days * 86400 * 1000)
    return ensure_topic(kafka, state_topic(kafka), ingest.state_partitions, retention_ms)


def state_partition_count(kafka: KafkaSettings) -> int:
    """The state topic's partition count, as the broker has it (it may predate the setting)."""
    reader = make_reader(kafka, state_topic(kafka) + "-metadata")
    try:
        found = reader.partitions_for_topic(state_topic(kafka))
    finally:
        reader.close()
    if not found:
        raise RuntimeError(f"topic {state_topic(kafka)} not found (run `veille setup`)")
    return len(found)


class StateDelta(BaseModel):
    source: str
    cursor: dict[str, Any] | None
    seen: list[tuple[str, tuple[int, int, int] | None, list[str]]]
    emitted: list[tuple[str, float, str, str]]

    def change(self) -> Change:
        seen: Seen = {nid: (engagement, ids) for nid, engagement, ids in self.seen}
        return self.source, self.cursor, seen, [Emitted(*e) for e in self.emitted]


class StateJournal:
    def __init__(self, producer: DurableProducer, kafka: KafkaSettings, partitions: int,
                 timeout_s: float) -> None:  # fmt: skip
        self._producer = producer
        self._kafka = kafka
        self._topic = state_topic(kafka)
        self.partitions = partitions
        self._timeout_s = timeout_s
        self._last_checkpoint = time.monotonic()

    def record(self, source: str, cursor: dict[str, Any] | None, seen: Seen,
               emitted: list[Emitted]) -> None:  # fmt: skip
        """Journal one commit; returns once it is durable (raises otherwise)."""
        delta = StateDelta(
            source=source, cursor=cursor,
            seen=[(nid, engagement, ids) for nid, (engagement, ids) in seen.items()],
            emitted=[(e.id, e.published_at, e.source, e.mention_json) for e in emitted],
        )  # fmt: skip
        partition = partition_of(source, self.partitions)
        self._producer.send(self._topic, source, delta.model_dump_json().encode(), partition)
        self._producer.flush(timeout_s=self._timeout_s)

    def checkpoint(self, store: CursorStore, sources: Iterable[str]) -> int:
        """Once a day: re-journal each owned source's cursor (before retention drops it)."""
        if time.monotonic() - self._last_checkpoint < CHECKPOINT_S:
            return 0
        count = 0
        for source in sources:
            cursor = store.cursor(source)
            if cursor:
                self.record(source, cursor, {}, [])
                count += 1
        self._last_checkpoint = time.monotonic()
        return count

    def replay(self, store: CursorStore, partitions: Iterable[int]) -> int:
        """Apply the log of `partitions` to `store`; return the records applied."""
        reader = make_reader(self._kafka, f"{self._topic}-replay")
        try:
            return _replay(reader, self._topic, store, sorted(partitions))
        finally:
            reader.close()


def _replay(reader: KafkaConsumer, topic: str, store: CursorStore, partitions: list[int]) -> int:
    tps = [TopicPartition(topic, p) for p in partitions]
    if not tps:
        return 0
    reader.assign(tps)
    end: dict[TopicPartition, int] = reader.end_offsets(tps)
    for tp in tps:
        start = store.applied_offset(tp.partition)
        if start is None:
            reader.seek_to_beginning(tp)
        else:
            reader.seek(tp, start)
    pending = {tp for tp in tps if reader.position(tp) < end[tp]}
    applied = 0
    deadline = time.monotonic() + REPLAY_TIMEOUT_S
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{topic}: replay of {sorted(tp.partition for tp in pending)} "
                               f"did not reach the end in {REPLAY_TIMEOUT_S:.0f} s")  # fmt: skip
        for tp, records in reader.poll(timeout_ms=1000).items():
            changes = [StateDelta.model_validate_json(r.value).change() for r in records
                       if r.offset < end[tp] and r.value is not None]  # fmt: skip
            store.apply(changes, tp.partition, min(records[-1].offset + 1, end[tp]))
            applied += len(changes)
        pending = {tp for tp in pending if reader.position(tp) < end[tp]}
    return applied
