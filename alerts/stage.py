"""Alert stage: mentions.enriched (+ alerts.commands) → detector → incident events.

Order within a batch: feed the detector, close the buckets the partition watermark has
passed, then make the incident events durable — published on alerts.incidents and the
incidents indexed in Elasticsearch. The offsets are committed after that. The detector
sends nothing: paging is the notifier's (alerts/notify/, `veille alerts notify`), so no
channel can hold detection back.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from kafka.structs import TopicPartition
from pydantic import RootModel

from alerts.detector import AlertDetector
from alerts.incidents import Transition
from alerts.observation import from_enriched
from alerts.store import IncidentStore
from alerts.watermark import PartitionWatermarks
from runtime.kafka import DurableProducer
from runtime.stream import Received, Rejected
from schemas.enriched import EnrichedMention
from schemas.incident import IncidentEvent, ResolveCommand

log = logging.getLogger(__name__)


class AlertInput(RootModel[EnrichedMention | ResolveCommand]):
    """What the alert worker reads: enriched mentions, and commands from people."""


class AlertStage:
    name = "alerts"

    def __init__(
        self,
        detector: AlertDetector,
        producer: DurableProducer,
        incidents_topic: str,
        store: IncidentStore,
        watermarks: PartitionWatermarks,
        assignment: Callable[[], set[TopicPartition]],
    ) -> None:
        self._detector = detector
        self._producer = producer
        self._topic = incidents_topic
        self._store = store
        self._watermarks = watermarks
        self._assignment = assignment
        self.watermark: float | None = None  # event time (epoch s) the detector has reached

    def open_incidents(self) -> int:
        return self._detector.open_incidents()

    def handle(self, batch: list[Received[AlertInput]]) -> list[Rejected]:
        transitions: list[Transition] = []
        for received in batch:
            item = received.value.root
            if isinstance(item, ResolveCommand):
                done = self._detector.resolve(item.tenant, item.brand, item.incident_id, item.by)
                if done is None:
                    log.warning("resolve: no open incident %s for %s/%s",
                                item.incident_id, item.tenant, item.brand)  # fmt: skip
                else:
                    transitions.append(done)
                continue
            observation = from_enriched(item)
            self._watermarks.observe(received.record.partition, item.published_at.timestamp())
            self._detector.observe(observation)
        self._advance(transitions)
        return []

    def tick(self) -> None:
        """No records: partitions may have gone idle, letting event time move on."""
        self._advance([])

    def _advance(self, transitions: list[Transition]) -> None:
        watermark = self._watermarks.current(self._assignment())
        if watermark is not None:
            transitions.extend(self._detector.advance(watermark))
        self._publish(transitions)
        if watermark is not None:
            self.watermark = watermark  # after its events are durable

    def _publish(self, transitions: list[Transition]) -> None:
        now = datetime.now(UTC)
        for t in transitions:
            event = IncidentEvent(event=t.event, at=t.at, incident=t.incident, emitted_at=now)
            self._producer.send(self._topic, event.incident.id, event.model_dump_json().encode())
        if transitions:
            self._store.save([t.incident for t in transitions])
            self._producer.flush()

    def flush(self) -> None:
        self._producer.flush()
