"""Alert stage: mentions.enriched (+ alerts.commands) → detector → incident events.

Order within a batch: feed the detector, close the buckets the partition watermark has
passed, then make the incident events durable — published on alerts.incidents and the
incidents indexed in Elasticsearch. The offsets are committed after that. The detector
sends nothing: paging is the notifier's (alerts/notify/, `veille alerts notify`), so no
channel can hold detection back.

A mention whose event time ingest would refuse against this worker's wall clock (ahead of it
by more than `event_time.max_future_skew_s`, or older than `max_age_days`:
schemas/event_time.py) is dead-lettered with the reason, never fed to the detector: no single
mention moves the watermark beyond the wall clock plus the skew. A mention whose source gave
no readable date (`published_at_known` False: its published_at is the fetch time) is skipped
by detection, neither counted nor moving the watermark (it is still indexed by enrich).

Scaling: the input is keyed by (tenant, brand) (schemas/topics.py); the detector state is one
detector per owned brand (alerts/brands.py). On gaining partitions (`on_assign`, on the
worker's thread before any of their records) the worker rebuilds the configured brands whose
key falls on them, one warm-up each; on losing partitions it forgets their brands. A message
keyed by (tenant, brand) is filed for that brand only (the mention's other brands have their
own copies); one keyed otherwise (by mention id, written before the key changed) for all its
brands.
"""

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from kafka.structs import TopicPartition
from pydantic import RootModel

from alerts.brands import Brand, BrandDetectors
from alerts.detection.incidents import Transition
from alerts.detection.observation import from_enriched
from alerts.store import IncidentStore
from alerts.watermark import PartitionWatermarks
from runtime import metrics
from runtime.kafka import DurableProducer
from runtime.stream import Received, Rejected
from schemas.config import EventTimeSettings
from schemas.enriched import EnrichedMention
from schemas.event_time import event_time_problem
from schemas.incident import IncidentEvent, ResolveCommand
from schemas.topics import brand_of_key, incident_key

log = logging.getLogger(__name__)


class AlertInput(RootModel[EnrichedMention | ResolveCommand]):
    """What the alert worker reads: enriched mentions, and commands from people."""


class AlertStage:
    name = "alerts"

    def __init__(
        self,
        detectors: BrandDetectors,
        producer: DurableProducer,
        incidents_topic: str,
        store: IncidentStore,
        watermarks: PartitionWatermarks,
        assignment: Callable[[], set[TopicPartition]],
        event_time: EventTimeSettings,
        configured: frozenset[Brand] = frozenset(),
        partition_of: Callable[[Brand], TopicPartition] | None = None,
        resume_time: Callable[[TopicPartition], datetime | None] = lambda _tp: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`configured`: the brands to rebuild when their partition is gained; `partition_of`:
        the input partition a brand's key falls on (None: no rebalance handling, one worker);
        `resume_time`: the event time of the first mention this worker will read on a
        partition (None: unknown, or nothing left), which bounds a rebuild (alerts/warmup.py)."""
        self._resume_time = resume_time
        self._detector = detectors
        self._configured = configured
        self._partition_of = partition_of
        self._producer = producer
        self._topic = incidents_topic
        self._store = store
        self._watermarks = watermarks
        self._assignment = assignment
        self._event_time = event_time
        self._clock = clock
        self.watermark: float | None = None  # event time (epoch s) the detector has reached
        self._fetched: dict[tuple[str, str], datetime] = {}  # newest fetch per brand: raw-in

    def open_incidents(self) -> int:
        return self._detector.open_incidents()

    def handle(self, batch: list[Received[AlertInput]]) -> list[Rejected]:
        transitions: list[Transition] = []
        rejected: list[Rejected] = []
        now = datetime.fromtimestamp(self._clock(), UTC)
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
            if not item.published_at_known:
                continue  # its date is the fetch time: a backlog item, never a burst now
            problem = event_time_problem(item.published_at, now, self._event_time)
            if problem is not None:
                rejected.append(Rejected(received.record, f"event time refused: {problem}"))
                continue
            observation = from_enriched(item)
            keyed = brand_of_key(received.record.key)
            brands = [keyed[1]] if keyed is not None and keyed[0] == item.tenant else item.brands
            self._fetched.update(((item.tenant, b), item.fetched_at) for b in brands)
            self._watermarks.observe(received.record.partition, item.published_at.timestamp())
            for brand in brands:
                self._detector.observe(observation, brand)
        self._advance(transitions)
        return rejected

    def on_assign(self, partitions: set[TopicPartition]) -> None:
        """Rebuild the brands gained (raises if Elasticsearch fails: retried, see Rebalancing)."""
        gained = sorted(self._on(self._configured, partitions))
        of, until = self._partition_of, {}
        if of is not None and gained:
            until = {tp: self._resume_time(tp) for tp in {of(b) for b in gained}}
        rebuilt, again = self._detector.adopt(
            (b, until.get(of(b)) if of is not None else None) for b in gained
        )
        self._publish(again)  # durable before any record of the gained partitions
        if rebuilt:
            log.info("gained %d brand(s) with %d partition(s): %s", len(rebuilt),
                     len(partitions), ", ".join("/".join(b) for b in rebuilt))  # fmt: skip

    def on_revoke(self, partitions: set[TopicPartition]) -> None:
        lost = self._on(self._detector.owned(), partitions)
        self._detector.forget(lost)
        if lost:
            log.info("lost %d brand(s) with %d partition(s): %s", len(lost), len(partitions),
                     ", ".join("/".join(b) for b in sorted(lost)))  # fmt: skip

    def _on(self, brands: Iterable[Brand], partitions: set[TopicPartition]) -> set[Brand]:
        of = self._partition_of
        return set() if of is None else {b for b in brands if of(b) in partitions}

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
            self._producer.send(
                self._topic, incident_key(event.incident), event.model_dump_json().encode()
            )
            if event.event == "opened":
                key = (t.incident.tenant, t.incident.brand)
                metrics.record_incident_opened(key[0], self._fetched.get(key))
        if transitions:
            self._store.save([t.incident for t in transitions])
            self._producer.flush()

    def flush(self) -> None:
        self._producer.flush()
