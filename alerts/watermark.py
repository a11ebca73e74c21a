"""PartitionWatermarks: the live worker's event-time watermark.

Each partition is read in order, so the watermark is the least, over the partitions read,
of the greatest event time seen in each. A partition holds the others back until it is idle,
as in Flink's idleness: caught up (nothing left to read) for `idle_after_s` seconds of
wall-clock time *and* no record delivered on any partition for as long (a burst reaching
one partition first must not declare the others idle: their share of it may be on its way),
or caught up for `IDLE_CAP` times as long whatever the traffic elsewhere. A partition that
has records but has delivered none yet holds everything (no watermark). When every
partition is idle, the watermark is the greatest event time seen. Wall-clock time thus
decides only *when* a bucket is closed, never *what* it holds: interleaving partitions
cannot make a mention late; only disorder within one partition beyond the allowed lateness
can.
"""

import time
from collections.abc import Callable

from kafka.structs import TopicPartition

CaughtUp = Callable[[TopicPartition], bool]
IDLE_CAP = 6


class PartitionWatermarks:
    def __init__(
        self,
        topic: str,
        caught_up: CaughtUp,
        idle_after_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._topic = topic
        self._caught_up = caught_up
        self._idle_after_s = idle_after_s
        self._clock = clock
        self._seen: dict[int, float] = {}
        self._caught_up_since: dict[int, float] = {}
        self._last_delivery = float("-inf")

    def observe(self, partition: int, epoch: float) -> None:
        self._last_delivery = self._clock()
        if epoch > self._seen.get(partition, float("-inf")):
            self._seen[partition] = epoch

    def current(self, assigned: set[TopicPartition]) -> float | None:
        now = self._clock()
        holding: list[float] = []
        blocked = False
        for tp in assigned:  # every partition: each one's idle clock must keep running
            if tp.topic != self._topic:
                continue
            if self._caught_up(tp):
                since = self._caught_up_since.setdefault(tp.partition, now)
                quiet = now - self._last_delivery >= self._idle_after_s
                waited = now - since
                if waited >= self._idle_after_s * IDLE_CAP or (
                    waited >= self._idle_after_s and quiet
                ):
                    continue  # idle: does not hold the others back
            else:
                self._caught_up_since.pop(tp.partition, None)
            if tp.partition in self._seen:
                holding.append(self._seen[tp.partition])
            else:
                blocked = True  # records to come, none seen yet: no watermark
        if blocked:
            return None
        if holding:
            return min(holding)
        return max(self._seen.values()) if self._seen else None
