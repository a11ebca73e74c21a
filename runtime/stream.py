"""The stream worker loop shared by every consuming stage.

One iteration: poll a batch → decode and validate each record (invalid → dead-letter queue)
→ `stage.handle(batch)` performs the side effect (produce, bulk index, page) and returns the
records it rejects → flush everything (stage output, dead letters) → commit the batch's offsets.

Contract: offsets are committed only after the side effects are durable. If the stage or the
commit raises (a transient failure: broker or Elasticsearch unavailable), nothing more is
committed, the consumer is rewound to the start of the batch and the batch is retried after a
backoff. Every write is idempotent, so a retried or redelivered batch is absorbed, never
doubled. A poll that fails (the broker restarting) is retried with the same backoff; only a
fatal error (`FATAL`: authorisation, a closed consumer, the dead-letter limit) ends `run`,
with `state` "failed".

Rebalances: a stage holding per-partition state implements `Rebalancing`; the worker calls
its hooks on its own thread, between batches, with the net change (runtime/rebalance.py).

Idle cost: while assigned, the loop polls without blocking inside kafka-python, back to back
while records arrive, and waits between empty polls as runtime/idle.py says. After a small
batch it may pause (`worker.small_batch_pause_ms`), trading latency for bigger batches.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    AuthorizationError,
    CommitFailedError,
    IllegalStateError,
    KafkaConfigurationError,
    KafkaError,
    SaslAuthenticationFailedError,
)
from kafka.structs import OffsetAndMetadata, TopicPartition
from pydantic import BaseModel, ValidationError

from runtime import metrics
from runtime.deadletter import DeadLetterLimitExceeded, DeadLetterQueue
from runtime.idle import IdleWait, Watch
from runtime.kafka import DurableProducer, broker_answering, group_settled
from runtime.rebalance import PartitionChanges, Rebalancing
from schemas.config import WorkerSettings

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

FATAL: tuple[type[Exception], ...] = (
    DeadLetterLimitExceeded,
    AuthorizationError,
    SaslAuthenticationFailedError,
    KafkaConfigurationError,
    IllegalStateError,
)
"""Errors that retrying cannot cure: the worker stops for good and says so."""

WorkerState = Literal["starting", "ready", "retrying", "failed", "stopped"]
"""starting: not yet polled; ready: its last poll succeeded with the broker answering;
retrying: the broker is unreachable or the batch's side effect failed, and it is retried;
failed: stopped for good; stopped: asked to stop."""


@dataclass(frozen=True)
class Received(Generic[T]):
    record: ConsumerRecord
    value: T


@dataclass(frozen=True)
class Rejected:
    record: ConsumerRecord
    reason: str


class Stage(Protocol[T]):
    """One processing step. `handle` does the batch's side effect and returns what it rejects;
    it raises on transient failure. `flush` makes the side effect durable."""

    name: str

    def handle(self, batch: list[Received[T]]) -> list[Rejected]: ...

    def flush(self) -> None: ...


@runtime_checkable
class Ticking(Protocol):
    """A stage with work that time alone can make due (closing event-time windows once its
    partitions have gone quiet). `tick` is called after every poll that returned nothing;
    it must make its side effects durable before returning, like `handle` + `flush`."""

    def tick(self) -> None: ...


@dataclass
class WorkerStats:
    batches: int = 0
    processed: int = 0
    rejected: int = 0
    retries: int = 0
    assigned: int = 0
    """Partitions owned after the last poll (read by the readiness probe)."""
    lag: int | None = None
    """Messages behind the high watermarks after the last poll; None until known."""
    stopped: bool = False


def decode(record: ConsumerRecord, model: type[T]) -> T | str:
    """The validated message, or the reason it is invalid."""
    if record.value is None:
        return "empty message (tombstone)"
    try:
        return model.model_validate_json(record.value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in exc.errors()
        )
        return f"invalid {model.__name__}: {problems}"


def _records(polled: dict[TopicPartition, list[ConsumerRecord]]) -> list[ConsumerRecord]:
    return [record for batch in polled.values() for record in batch]


class StreamWorker(Generic[T]):
    def __init__(
        self,
        consumer: KafkaConsumer,
        model: type[T],
        stage: Stage[T],
        producer: DurableProducer,
        dead_letters: DeadLetterQueue,
        settings: WorkerSettings,
        stop: threading.Event,
        watch: Watch | None = None,
        changes: PartitionChanges | None = None,
    ) -> None:
        """`watch`: learns of new records between polls (runtime/offset_watch.py); None:
        paced polls only. `changes`: the consumer's rebalance listener; required if `stage`
        is Rebalancing."""
        if isinstance(stage, Rebalancing) and changes is None:
            raise ValueError(f"{stage.name}: a Rebalancing stage needs the PartitionChanges "
                             "its consumer was subscribed with")  # fmt: skip
        self._changes = changes
        self._consumer = consumer
        self._model = model
        self._stage = stage
        self._producer = producer
        self._dead_letters = dead_letters
        self._settings = settings
        self._stop = stop
        self._backoff_s = settings.retry_backoff_s
        self._owned: set[TopicPartition] = set()
        self._idle = IdleWait(settings, stop, watch)
        self.stats = WorkerStats()
        self.state: WorkerState = "starting"

    @property
    def stage(self) -> Stage[T]:
        return self._stage

    def assignment(self) -> set[TopicPartition]:
        """The partitions this worker's consumer owns now (empty until the group assigned)."""
        return set(self._consumer.assignment())

    def run(self) -> None:
        """Loop until `stop` is set, then leave the group cleanly (close the consumer).
        Raises (after logging at error, `state` "failed") only on a `FATAL` error."""
        log.info("%s: started", self._stage.name)
        try:
            while not self._stop.is_set():
                self.run_once()
        except BaseException as exc:
            self.state = "failed"
            log.error("%s: stopped for good: %r", self._stage.name, exc)
            raise
        finally:
            self.stats.stopped = True
            self.close()

    def not_ready(self, max_lag: int) -> list[str]:
        """Why this worker is not ready (empty: ready): not assigned, behind, or stopped."""
        name, stats = self._stage.name, self.stats
        if stats.stopped:
            return [f"{name}: stopped"]
        if self.state == "retrying":
            return [f"{name}: retrying (the broker unreachable, or a batch failing)"]
        if not stats.assigned:
            return [f"{name}: no partition assigned yet"]
        if stats.lag is None or stats.lag > max_lag:
            return [f"{name}: {stats.lag if stats.lag is not None else 'unknown'} messages "
                    f"behind (ready within {max_lag})"]  # fmt: skip
        return []

    def run_once(self) -> int:
        """Process one polled batch; return how many records it committed."""
        try:
            records = self._poll()
        except FATAL:
            raise
        except Exception as exc:  # the broker restarting or unreachable: poll again later
            self._retry_later("poll failed", exc)
            return 0
        try:
            self._rebalance()
        except FATAL:
            raise
        except Exception as exc:  # a rebuild failed: nothing of the gained partitions handled
            self._rewind(records)
            self._retry_later("taking up gained partitions failed", exc)
            return 0
        if not records:
            self.state = "ready" if broker_answering(self._consumer) else "retrying"
            self._backoff_s = self._settings.retry_backoff_s
            self._observe_positions()
            self._tick()
            return 0
        started = time.monotonic()
        try:
            self._process(records)
            self._commit(records)
        except FATAL:
            raise
        except Exception as exc:  # transient: retry the batch, nothing more committed
            metrics.BATCH_RETRIES.labels(self._stage.name).inc()
            self._rewind(records)
            self._retry_later("batch failed", exc)
            return 0
        self._backoff_s = self._settings.retry_backoff_s
        name = self._stage.name
        metrics.record_consumed(name, (record.topic for record in records))
        metrics.BATCH_SIZE.labels(name).observe(len(records))
        metrics.BATCH_DURATION.labels(name).observe(time.monotonic() - started)
        self._observe_positions()
        self.state = "ready"
        if (
            self._settings.small_batch_pause_ms
            and len(records) < self._settings.small_batch_records
        ):
            self._stop.wait(self._settings.small_batch_pause_ms / 1000)  # the next batch gathers
        return len(records)

    def _rebalance(self) -> None:
        """Tell a Rebalancing stage what it lost, then what it gained (see Rebalancing)."""
        if self._changes is None or not isinstance(self._stage, Rebalancing):
            return
        lost, gained = self._changes.change(set(self._consumer.assignment()))
        if lost:
            self._stage.on_revoke(lost)
            self._changes.settle(lost, set())
        if gained:
            self._stage.on_assign(gained)
            self._changes.settle(set(), gained)

    def _observe_positions(self) -> None:
        """Assignment and lag per partition, for `/metrics` and `/readyz` (known positions
        only: nothing here waits on the broker)."""
        owned = set(self._consumer.assignment())
        lag = 0
        for tp in owned:
            highwater = self._consumer.highwater(tp)
            try:
                known = highwater is not None
                position = self._consumer.position(tp, timeout_ms=0) if known else None
            except KafkaError:  # not known yet (a reset pending, the broker away): skip it
                position = None
            if highwater is None or position is None:
                continue
            metrics.record_lag(self._stage.name, tp.topic, tp.partition, highwater - position)
            lag += highwater - position
        for tp in self._owned - owned:
            metrics.forget_lag(self._stage.name, tp.topic, tp.partition)
        if owned != self._owned:
            names = sorted(f"{tp.topic}:{tp.partition}" for tp in owned)
            log.info("%s: owns %s", self._stage.name, " ".join(names) or "nothing")
        self._owned = owned
        self.stats.assigned = len(owned)
        self.stats.lag = lag if owned else None

    def _poll(self) -> list[ConsumerRecord]:
        """Records, waiting up to `poll_timeout_ms`. Until the group assigned partitions,
        kafka-python's own blocking poll drives the join; once assigned, non-blocking polls
        paced by `IdleWait` (a broker that ignores `fetch_max_wait_ms` would otherwise be
        asked back to back)."""
        timeout_ms = self._settings.poll_timeout_ms
        if not group_settled(self._consumer):
            return _records(self._consumer.poll(timeout_ms=timeout_ms))
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            if self._idle.poll_due():
                records = _records(self._consumer.poll(timeout_ms=0))
                self._idle.after_poll(bool(records))
                if records or not group_settled(self._consumer):
                    return records
            if time.monotonic() >= deadline or self._idle.wait(deadline):
                return []

    def _retry_later(self, what: str, exc: Exception) -> None:
        self.stats.retries += 1
        self.state = "retrying"
        log.warning("%s: %s, will retry in %.1fs: %s", self._stage.name, what, self._backoff_s, exc)
        self._stop.wait(self._backoff_s)
        self._backoff_s = min(self._backoff_s * 2, self._settings.retry_backoff_max_s)

    def _tick(self) -> None:
        if not isinstance(self._stage, Ticking):
            return
        try:
            self._stage.tick()
        except Exception as exc:  # transient, like a failed batch: try again later
            log.warning("%s: idle tick failed, will retry: %s", self._stage.name, exc)
            self._stop.wait(self._backoff_s)

    def _process(self, records: list[ConsumerRecord]) -> None:
        valid: list[Received[T]] = []
        rejected: list[Rejected] = []
        for record in records:
            decoded = decode(record, self._model)
            if isinstance(decoded, str):
                rejected.append(Rejected(record, decoded))
            else:
                valid.append(Received(record, decoded))
        if valid:
            rejected.extend(self._stage.handle(valid))
        reasons = {(r.record.topic, r.record.partition, r.record.offset): r for r in rejected}
        for record in records:  # in offset order, so that "consecutive" means in a row
            item = reasons.get((record.topic, record.partition, record.offset))
            if item is None:
                self._dead_letters.accepted(1)
            else:
                self._dead_letters.reject(item.record, item.reason)
        self._stage.flush()
        self._producer.flush()
        self.stats.batches += 1
        self.stats.processed += len(records) - len(rejected)
        self.stats.rejected += len(rejected)

    def _commit(self, records: list[ConsumerRecord]) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            if tp not in offsets or offsets[tp].offset <= record.offset:
                offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        try:
            self._consumer.commit(offsets)
        except CommitFailedError as exc:
            # The group rebalanced: the new owner re-reads from the last commit, and the
            # idempotent writes absorb the repeat.
            log.warning("%s: commit refused after a rebalance: %s", self._stage.name, exc)

    def _rewind(self, records: list[ConsumerRecord]) -> None:
        first: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            first[tp] = min(first.get(tp, record.offset), record.offset)
        for tp, offset in first.items():
            try:
                self._consumer.seek(tp, offset)
            except (KafkaError, AssertionError, ValueError) as exc:
                log.info("%s: %s no longer assigned (%s)", self._stage.name, tp, exc)

    def close(self) -> None:
        try:
            self._producer.flush(timeout_s=10)
        except Exception as exc:
            log.warning("%s: final flush failed: %s", self._stage.name, exc)
        self._consumer.close()
        try:
            self._producer.close()
        except Exception as exc:  # uncommitted input: fetched again by the next owner
            log.warning("%s: producer closed with unsent messages: %s", self._stage.name, exc)
        if self.state != "failed":
            self.state = "stopped"
        log.info("%s: stopped", self._stage.name)
