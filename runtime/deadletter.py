"""The dead-letter queue: bad input goes here with its reason, and the stream goes on.

Contract: a rejected message is produced to `mentions.dlq` (flushed with the batch's other
output, before its offset is committed), keyed by the letter's deterministic id: a message
rejected again (its batch retried, or the worker restarted after a limit stop) gives a letter
with the same id, which readers deduplicate on. A `DeadLetterLimit` stops the worker loudly (raises
`DeadLetterLimitExceeded` before the batch is committed) when `max_consecutive` messages in a
row were rejected, or when more than `max_ratio` of the last `ratio_window` messages were
(checked once that many have been seen), as arroyo's `DlqLimit` does: a broken deploy must
not silently dead-letter everything, while a trickle of bad input never stops the stream.
"""

import logging
from collections import deque
from datetime import UTC, datetime

from kafka.consumer.fetcher import ConsumerRecord

from runtime import metrics
from runtime.kafka import DurableProducer
from schemas.deadletter import DeadLetter

log = logging.getLogger(__name__)


class DeadLetterLimitExceeded(RuntimeError):
    """Too many consecutive rejections: the worker stops instead of dead-lettering everything."""


class DeadLetterLimit:
    """Counts outcomes; `rejected()` raises once a limit is passed. Pure: no I/O, no clock."""

    def __init__(
        self, max_consecutive: int, max_ratio: float | None = None, ratio_window: int = 1000
    ) -> None:
        self._max_consecutive = max_consecutive
        self._max_ratio = max_ratio
        self._window: deque[bool] = deque(maxlen=ratio_window)
        self._rejected_in_window = 0
        self._consecutive = 0

    def _push(self, rejected: bool) -> None:
        if len(self._window) == self._window.maxlen and self._window[0]:
            self._rejected_in_window -= 1
        self._window.append(rejected)
        self._rejected_in_window += rejected

    def accepted(self, count: int = 1) -> None:
        for _ in range(min(count, self._window.maxlen or 0)):
            self._push(False)
        if count:
            self._consecutive = 0

    def rejected(self, stage: str, reason: str) -> None:
        self._push(True)
        self._consecutive += 1
        if self._consecutive >= self._max_consecutive:
            raise DeadLetterLimitExceeded(
                f"{stage}: {self._consecutive} consecutive messages rejected "
                f"(last: {reason}); stopping instead of dead-lettering everything"
            )
        full = len(self._window) == self._window.maxlen
        ratio = self._rejected_in_window / len(self._window)
        if self._max_ratio is not None and full and ratio > self._max_ratio:
            raise DeadLetterLimitExceeded(
                f"{stage}: {self._rejected_in_window} of the last {len(self._window)} messages "
                f"rejected ({ratio:.0%} > {self._max_ratio:.0%}; last: {reason}); "
                "stopping instead of dead-lettering everything"
            )


class DeadLetterQueue:
    def __init__(
        self,
        producer: DurableProducer,
        topic: str,
        stage: str,
        max_consecutive: int,
        max_ratio: float | None = None,
        ratio_window: int = 1000,
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._stage = stage
        self._limit = DeadLetterLimit(max_consecutive, max_ratio, ratio_window)
        self.rejected_total = 0

    def reject(self, record: ConsumerRecord, reason: str) -> None:
        letter = DeadLetter(
            stage=self._stage,
            error=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key_b64=DeadLetter.encode(record.key),
            value_b64=DeadLetter.encode(record.value or b"") or "",
            failed_at=datetime.now(UTC),
        )
        log.warning(
            "%s: dead-lettered %s[%d]@%d: %s",
            self._stage,
            record.topic,
            record.partition,
            record.offset,
            reason,
        )
        self._producer.send(self._topic, letter.id, letter.model_dump_json().encode("utf-8"))
        self.rejected_total += 1
        metrics.DEAD_LETTERED.labels(self._stage, record.topic).inc()
        self._limit.rejected(self._stage, reason)

    def accepted(self, count: int) -> None:
        self._limit.accepted(count)
