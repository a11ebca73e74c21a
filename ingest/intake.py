"""DirectIntake: items handed over directly (HTTP push) → BatchAssembler → MentionSink, in
the caller's thread, with no polling, cursor or schedule.

Contract: `deliver_items` returns once the mentions are durable in Kafka (acks=all) and
remembered; it raises if Kafka did not take them, and then nothing is remembered, so the
client's retry is delivered in full (mention ids make a repeat harmless).
"""

from datetime import UTC, datetime

from ingest.assembler import BatchAssembler
from ingest.delivery import MentionSink
from ingest.sources.base import FeedItem, Fetched, Origin


class DirectIntake:
    def __init__(self, assembler: BatchAssembler, sink: MentionSink) -> None:
        self.assembler = assembler
        self._sink = sink

    def deliver_items(self, origin: Origin, items: list[FeedItem]) -> int:
        """Match, produce and remember `items`; return the mentions produced."""
        batch = self.assembler.assemble(origin, Fetched(items, {}), datetime.now(UTC))
        return self._sink.deliver(origin.id, batch, {}, {})

    def close(self) -> None:
        self._sink.close()
