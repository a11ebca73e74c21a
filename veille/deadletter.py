"""The dead-letter queue: bad input goes here with its reason, and the stream goes on.

Contract: a rejected message is produced to `mentions.dlq` (flushed with the batch's other
output, before its offset is committed). A run of `max_consecutive` rejections in a row stops
the worker loudly: a broken deploy must not silently dead-letter everything.
"""

import logging
from datetime import UTC, datetime

from kafka.consumer.fetcher import ConsumerRecord

from schemas.deadletter import DeadLetter
from veille.kafka import DurableProducer

log = logging.getLogger(__name__)


class DeadLetterLimitExceeded(RuntimeError):
    """Too many consecutive rejections: the worker stops instead of dead-lettering everything."""


class DeadLetterQueue:
    def __init__(
        self, producer: DurableProducer, topic: str, stage: str, max_consecutive: int
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._stage = stage
        self._max_consecutive = max_consecutive
        self._consecutive = 0
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
        key = None if record.key is None else record.key.decode("utf-8", "replace")
        self._producer.send(self._topic, key, letter.model_dump_json().encode("utf-8"))
        self.rejected_total += 1
        self._consecutive += 1
        if self._consecutive >= self._max_consecutive:
            raise DeadLetterLimitExceeded(
                f"{self._stage}: {self._consecutive} consecutive messages rejected "
                f"(last: {reason}); stopping instead of dead-lettering everything"
            )

    def accepted(self, count: int) -> None:
        if count:
            self._consecutive = 0
