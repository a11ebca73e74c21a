"""Rebalance hooks: what a member of a consumer group gained and lost, on its own thread.

`PartitionChanges` is the consumer's rebalance listener (any group member: a stream worker,
or a process that uses the group only to share work out); `Rebalancing` is what a stream
stage implements to hear the change (runtime/stream.py calls it).
"""

import threading
from collections.abc import Collection
from typing import Protocol, runtime_checkable

from kafka import ConsumerRebalanceListener
from kafka.structs import TopicPartition


@runtime_checkable
class Rebalancing(Protocol):
    """A stage whose state depends on the partitions it owns (clusters per tenant, detectors
    per brand). The worker calls, on its own thread, between batches:
    - `on_revoke(partitions)`: partitions it no longer owns, or that the group took away and
      gave back (another member may have read them meanwhile): forget their state. Called
      before `on_assign`; must not raise.
    - `on_assign(partitions)`: partitions gained since the last call (at start: all of them),
      before any record of them is handed to `handle`. It may raise on a transient failure
      (Elasticsearch down during a rebuild): the batch is rewound and retried after the
      backoff, and the same partitions are offered again.
    Under eager rebalancing (kafka-python's default assignors) every rebalance revokes all and
    assigns all; the hooks see only the net change, so a worker keeping a partition keeps its
    state."""

    def on_revoke(self, partitions: set[TopicPartition]) -> None: ...

    def on_assign(self, partitions: set[TopicPartition]) -> None: ...


class PartitionChanges(ConsumerRebalanceListener):  # type: ignore[misc]
    """The consumer's rebalance listener, reduced to the net change since the last `settle`.

    kafka-python calls the listener on its IO thread (the one that heartbeats): the callbacks
    only record, under a lock. The owner (a stream worker, or any process using the group for
    assignment, e.g. ingest) asks `change(current)` on its own thread with the consumer's
    assignment, acts, then `settle`s what it acted on. A partition revoked and not assigned
    back in the next assignment, or lost (evicted from the group), is reported lost even if it
    comes back later. `inner`, if given, hears every callback too (its own contract applies)."""

    def __init__(self, inner: ConsumerRebalanceListener | None = None) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._revoked: set[TopicPartition] = set()
        self._dropped: set[TopicPartition] = set()
        self._owned: set[TopicPartition] = set()
        """What the owner acted on: settled as gained and not since settled as lost."""

    def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        with self._lock:  # eager rebalancing revokes everything: dropped if not given back
            self._revoked |= set(revoked)
        if self._inner is not None:
            self._inner.on_partitions_revoked(revoked)

    def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        with self._lock:
            self._dropped |= self._revoked - set(assigned)
            self._revoked = set()
        if self._inner is not None:
            self._inner.on_partitions_assigned(assigned)

    def on_partitions_lost(self, lost: Collection[TopicPartition]) -> None:
        with self._lock:
            self._dropped |= set(lost)
        if self._inner is not None:
            self._inner.on_partitions_lost(lost)

    def change(
        self, current: set[TopicPartition]
    ) -> tuple[set[TopicPartition], set[TopicPartition]]:
        """(lost, gained) against what the owner settled, `current` being the assignment now."""
        with self._lock:
            dropped = set(self._dropped)
        lost = (self._owned - current) | (self._owned & dropped)
        return lost, current - (self._owned - lost)

    def settle(self, lost: set[TopicPartition], gained: set[TopicPartition]) -> None:
        """The owner forgot `lost` and took up `gained` (call with what `change` returned,
        possibly `gained` empty when taking up failed: it is offered again)."""
        with self._lock:
            self._dropped -= lost
        self._owned = (self._owned - lost) | gained

    def owned(self) -> set[TopicPartition]:
        return set(self._owned)
