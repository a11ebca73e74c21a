"""Alert stage: mentions.enriched → detector → incident events on alerts.incidents → pages.

Order within a batch: detect, publish every incident event, flush them (durable), then page.
The offsets are committed after that. A recoverable channel failure raises: the page stays
queued and the batch is retried (the detector counts a mention id once, so the retry changes
nothing else); the NotifyLog dedup key keeps a page from going out twice on any channel.
An unrecoverable failure is logged and does not block the stream.
"""

import logging
from datetime import UTC, datetime

from alerts.channels import Channel, NotifyError
from alerts.detector import NegativeBurstDetector
from alerts.notify_log import NotifyLog
from alerts.routing import channels_for
from schemas.config import AlertsSettings
from schemas.enriched import EnrichedMention
from schemas.incident import IncidentEvent
from veille.kafka import DurableProducer
from veille.worker import Received, Rejected

log = logging.getLogger(__name__)


class AlertStage:
    name = "alerts"

    def __init__(
        self,
        detector: NegativeBurstDetector,
        settings: AlertsSettings,
        channels: dict[str, Channel],
        producer: DurableProducer,
        topic: str,
    ) -> None:
        self._detector = detector
        self._settings = settings
        self._channels = channels
        self._producer = producer
        self._topic = topic
        self._notify_log = NotifyLog()
        self._unpaged: list[IncidentEvent] = []
        self.pages_sent: list[IncidentEvent] = []

    def open_incidents(self) -> int:
        return len(self._detector.open_incidents())

    def handle(self, batch: list[Received[EnrichedMention]]) -> list[Rejected]:
        now = datetime.now(UTC)
        for received in batch:
            for transition in self._detector.observe(received.value):
                event = IncidentEvent(
                    event=transition.event, at=transition.at,
                    incident=transition.incident, emitted_at=now,
                )  # fmt: skip
                self._producer.send(
                    self._topic, event.incident.id, event.model_dump_json().encode()
                )
                if event.pages:
                    self._unpaged.append(event)
        self._producer.flush()
        while self._unpaged:  # a recoverable failure raises here: retried with the batch
            self._page(self._unpaged[0])
            self._unpaged.pop(0)
        return []

    def _page(self, event: IncidentEvent) -> None:
        incident = event.incident
        for name in channels_for(self._settings, incident.tenant, incident.brand):
            key = f"{event.dedup_key}:{name}"
            if key in self._notify_log:
                continue
            try:
                self._channels[name].send(event)
            except NotifyError as exc:
                if exc.recoverable:
                    raise
                log.error("page for incident %s not sent on %s: %s", incident.id, name, exc)
                continue
            self._notify_log.record(key)
            self.pages_sent.append(event)

    def flush(self) -> None:
        self._producer.flush()
