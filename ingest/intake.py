"""DirectIntake: items handed over directly (HTTP push) → BatchAssembler → MentionSink, in
the caller's thread, with no polling, cursor or schedule.

Contract: `deliver_items` returns once the mentions are durable in Kafka (acks=all) and
remembered; it raises if Kafka did not take them, and then nothing is remembered, so the
client's retry is delivered in full (mention ids make a repeat harmless). Items the
assembler's in-batch de-duplication drops are logged per call with the running total, which
`duplicates_dropped` keeps (for a metrics endpoint).
"""

import logging
from datetime import UTC, datetime

from ingest.assembler import BatchAssembler
from ingest.delivery import MentionSink
from ingest.sources.base import FeedItem, Fetched, Origin

log = logging.getLogger(__name__)


class DirectIntake:
    def __init__(self, assembler: BatchAssembler, sink: MentionSink) -> None:
        self.assembler = assembler
        self._sink = sink

    def deliver_items(self, origin: Origin, items: list[FeedItem]) -> int:
        """Match, produce and remember `items`; return the mentions produced."""
        before = self.assembler.duplicates_dropped
        batch = self.assembler.assemble(origin, Fetched(items, {}), datetime.now(UTC))
        dropped = self.assembler.duplicates_dropped - before
        if dropped:
            log.info("%s: %d duplicate(s) dropped in one request (%d since start)",
                     origin.id, dropped, self.duplicates_dropped)  # fmt: skip
        return self._sink.deliver(origin.id, batch, {}, {})

    @property
    def duplicates_dropped(self) -> int:
        """Items and mentions de-duplicated within requests since start (the assembler's)."""
        return self.assembler.duplicates_dropped

    def close(self) -> None:
        self._sink.close()
