"""Wiring: builds each worker from the configuration, and starts a set of them in threads
(`start_workers`; what runs, and how it stops: veille/running.py).

ingest   sources → mentions.raw
enrich   mentions.raw → mentions.scored: the model    (group <prefix>veille-enrich)
stories  mentions.scored → mentions.enriched: clusters, virality (group <prefix>veille-stories)
index    mentions.enriched → Elasticsearch           (group <prefix>veille-index)
alerts   mentions.enriched + alerts.commands → alerts.incidents (group <prefix>veille-alerts)
notify   alerts.incidents + alerts.responses + ingest.health → pages, the incident page
         (group <prefix>veille-notify)
response the index → first-reply records, overdue lists to the teams (veille/response_worker.py)
"""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.structs import TopicPartition

from alerts.brands import BrandDetectors
from alerts.detection.detector import AlertDetector
from alerts.detection.incidents import Transition
from alerts.notify.channels import build_channel
from alerts.notify.dispatch import Dispatcher
from alerts.notify.links import LinkSigner
from alerts.notify.log import NotificationLog
from alerts.notify.preflight import NotifierConfigError, check_notifier
from alerts.notify.send import Clock, Sender
from alerts.notify.stage import NotifierInput, NotifierStage
from alerts.notify.web.app import make_app
from alerts.notify.web.server import WebServer
from alerts.stage import AlertInput, AlertStage
from alerts.store import IncidentStore
from alerts.warmup import IndexBehind, published_at_of, warm_up_brand
from alerts.watermark import PartitionWatermarks
from enrich.indexer import IndexStage
from enrich.inference import InferenceStage
from enrich.sentiment import LexiconScorer, SentimentScorer, TransformerScorer
from enrich.stage import StoriesStage, make_clusters
from enrich.warmup import ClusterWarmup, indexed_members
from ingest.assembler import BatchAssembler
from ingest.cursors import CursorStore, StateStoreError
from ingest.delivery import MentionSink
from ingest.intake import DirectIntake
from ingest.matcher import BrandMatcher
from ingest.ownership import SourceOwnership
from ingest.sources import build_sources
from ingest.sources.base import Source
from ingest.sources.push import PushServer
from ingest.statelog import StateJournal, ensure_state_topic, state_partition_count, state_topic
from ingest.worker import IngestWorker
from runtime.deadletter import DeadLetterQueue
from runtime.indices import ensure_templates, make_client
from runtime.kafka import (
    DurableProducer,
    committed_offset,
    ensure_topics,
    make_consumer,
    make_producer,
    partition_of,
    record_at,
)
from runtime.offset_watch import offset_watch
from runtime.rebalance import PartitionChanges
from runtime.stream import StreamWorker
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention, ScoredMention
from schemas.mention import Mention
from schemas.topics import Topics, brand_key
from veille.response_worker import build_response_watch
from veille.running import RunningWorkers
from veille.settings import ConfigError
from veille.workers import WORKERS

log = logging.getLogger(__name__)


def group_id(config: VeilleConfig, worker: str) -> str:
    """Consumer group of a worker; the topic prefix keeps deployments' groups apart."""
    return f"{config.kafka.topic_prefix}veille-{worker}"


def prepare(config: VeilleConfig) -> list[str]:
    """Create the topics (with retention) and the index templates; safe to run again."""
    created = ensure_topics(config.kafka)
    if ensure_state_topic(config.kafka, config.ingest):
        created.append(state_topic(config.kafka))
    client = make_client(config.elasticsearch)
    try:
        ensure_templates(client, config.elasticsearch, [t.id for t in config.tenants])
    finally:
        client.close()
    return created


def build_ingest(
    config: VeilleConfig, stop: threading.Event, sources: Sequence[Source] | None = None
) -> IngestWorker:
    """Sources from `sources:` (or those given), queries compiled once (a malformed one
    fails here, with its position), cursors in `ingest.state_dir` (one file per prefix)."""
    matcher = BrandMatcher(config.tenants)
    try:
        store = CursorStore.for_prefix(config.ingest.state_dir, config.kafka.topic_prefix)
    except StateStoreError as exc:  # e.g. its disk full: one line, exit 2
        raise ConfigError(f"veille ingest run: the state store cannot be written: {exc}") from None
    producer = DurableProducer(make_producer(config.kafka, "veille-ingest"))
    topics = Topics(config.kafka.topic_prefix)
    polled = build_sources(config.sources) if sources is None else sources
    ensure_state_topic(config.kafka, config.ingest)
    journal = StateJournal(producer, config.kafka, state_partition_count(config.kafka),
                           config.ingest.produce_timeout_s)  # fmt: skip
    group, topic = group_id(config, "ingest"), state_topic(config.kafka)
    ownership = SourceOwnership(
        lambda listener: make_consumer(config.kafka, group, [topic], listener),
        journal, store, polled, stop,
    )  # fmt: skip
    return IngestWorker(
        polled, matcher, producer, topics, store, config.ingest, config.event_time, stop,
        ownership, journal,
    )  # fmt: skip


def build_push(config: VeilleConfig, stop: threading.Event) -> "PushService":
    """`veille ingest push`: the HTTP push endpoint, delivering through the assembler and a
    sink of its own (its own state file: `<prefix>push.` in ingest.state_dir)."""
    store = CursorStore.for_prefix(config.ingest.state_dir, f"{config.kafka.topic_prefix}push.")
    producer = DurableProducer(make_producer(config.kafka, "veille-ingest-push"))
    sink = MentionSink(
        producer, Topics(config.kafka.topic_prefix), store, config.ingest.produce_timeout_s
    )
    assembler = BatchAssembler(
        BrandMatcher(config.tenants), store, config.ingest, config.event_time
    )
    intake = DirectIntake(assembler, sink)
    tenants = {t.id for t in config.tenants}
    server = PushServer(config.ingest.push, config.event_time, tenants, intake)
    return PushService(server, intake, store, stop)


@dataclass
class PushService:
    server: PushServer
    intake: DirectIntake
    store: CursorStore
    stop_event: threading.Event

    def run(self) -> None:
        try:
            self.server.serve(self.stop_event)
        finally:
            try:
                self.intake.close()
            finally:
                self.store.close()


def _stream_worker(
    config: VeilleConfig,
    name: str,
    stop: threading.Event,
    input_topics: list[str],
    model: type[Any],
    make_stage: Callable[[DurableProducer, KafkaConsumer], Any],
    listener: ConsumerRebalanceListener | None = None,
) -> StreamWorker[Any]:
    topics = Topics(config.kafka.topic_prefix)
    producer = DurableProducer(make_producer(config.kafka, group_id(config, name)))
    limits = config.worker
    dead_letters = DeadLetterQueue(
        producer, topics.dlq, name,
        limits.dlq_max_consecutive, limits.dlq_max_ratio, limits.dlq_ratio_window,
    )  # fmt: skip
    changes = PartitionChanges(listener)
    consumer = make_consumer(config.kafka, group_id(config, name), input_topics, changes)
    return StreamWorker(
        consumer, model, make_stage(producer, consumer), producer, dead_letters, config.worker,
        stop, offset_watch(consumer, config.kafka, config.worker), changes,
    )  # fmt: skip


def build_scorer(config: VeilleConfig) -> SentimentScorer:
    """The configured scorer; a transformer that cannot load raises (no silent fallback)."""
    if config.enrich.scorer == "lexicon":
        return LexiconScorer(config.enrich.negative_below, config.enrich.positive_above)
    return TransformerScorer(config.enrich.model)


def build_enrich(config: VeilleConfig, stop: threading.Event) -> StreamWorker[Mention]:
    """The inference worker (stateless: scales by mention id)."""
    topics = Topics(config.kafka.topic_prefix)
    scorer = build_scorer(config)
    return _stream_worker(
        config, "enrich", stop, [topics.raw], Mention,
        lambda producer, _consumer: InferenceStage(scorer, producer, topics.scored),
    )  # fmt: skip


def build_stories(config: VeilleConfig, stop: threading.Event) -> StreamWorker[ScoredMention]:
    """The per-tenant state of enrichment; its clusters are rebuilt from Elasticsearch per
    tenant, on first use after each start or rebalance (enrich/warmup.py)."""
    topics = Topics(config.kafka.topic_prefix)
    settings = config.enrich.clusters
    clusters = make_clusters(settings)
    client = make_client(config.elasticsearch)
    max_age = timedelta(hours=settings.max_age_hours)
    warmup = ClusterWarmup(
        clusters,
        lambda tenant: indexed_members(
            client, config.elasticsearch, tenant, max_age, settings.warmup_max_mentions
        ),
    )
    return _stream_worker(
        config, "stories", stop, [topics.scored], ScoredMention,
        lambda producer, _consumer: StoriesStage(
            producer, topics.enriched, config.enrich.virality, clusters, warmup
        ),
        listener=warmup,
    )  # fmt: skip


def build_index(config: VeilleConfig, stop: threading.Event) -> StreamWorker[EnrichedMention]:
    topics = Topics(config.kafka.topic_prefix)
    client = make_client(config.elasticsearch)
    return _stream_worker(
        config, "index", stop, [topics.enriched], EnrichedMention,
        lambda _producer, _consumer: IndexStage(client, config.elasticsearch),
    )  # fmt: skip


def build_alerts(config: VeilleConfig, stop: threading.Event) -> StreamWorker[AlertInput]:
    """The alert worker: one detector per (tenant, brand) it owns, each warmed up from the
    index (`alerts.warmup_days`) when its partition is gained (alerts/stage.py)."""
    topics = Topics(config.kafka.topic_prefix)
    rule, competitors = config.detection_rule_or_default, config.competitor_brands()
    client = make_client(config.elasticsearch)
    store = IncidentStore(client, config.elasticsearch)

    def warm(
        detector: AlertDetector, tenant: str, brand: str, until: datetime | None
    ) -> list[Transition]:
        since = datetime.now(UTC) - timedelta(days=config.alerts.warmup_days)
        return warm_up_brand(detector, client, config.elasticsearch, tenant, brand, since,
                             config.event_time, until)[1]  # fmt: skip

    detectors = BrandDetectors(
        lambda: AlertDetector(rule, competitors), warm if config.alerts.warmup_days else None
    )
    configured = frozenset((t.id, b.id) for t in config.tenants for b in t.brands)

    def make_stage(producer: DurableProducer, consumer: KafkaConsumer) -> AlertStage:
        def caught_up(tp: TopicPartition) -> bool:
            highwater = consumer.highwater(tp)
            return highwater is not None and consumer.position(tp) >= highwater

        def partition_of_brand(brand: tuple[str, str]) -> TopicPartition:
            count = len(consumer.partitions_for_topic(topics.enriched) or ()) or 1
            return TopicPartition(topics.enriched, partition_of(brand_key(*brand), count))

        def resume_time(tp: TopicPartition) -> datetime | None:
            committed = consumer.committed(tp)
            indexed = committed_offset(config.kafka, group_id(config, "index"), tp)
            if committed is not None and (indexed or 0) < committed:  # the rebuild would miss
                raise IndexBehind(f"{tp.topic}:{tp.partition}: the index group at offset "
                                  f"{indexed}, the resume point at {committed}; detection of "
                                  "its brands waits (is an index worker running?)")  # fmt: skip
            value = record_at(config.kafka, tp, committed)
            return None if value is None else published_at_of(value)  # None: unbounded

        watermarks = PartitionWatermarks(topics.enriched, caught_up, config.alerts.idle_partition_s)
        return AlertStage(
            detectors, producer, topics.incidents, store, watermarks, consumer.assignment,
            config.event_time, configured, partition_of_brand, resume_time,
        )  # fmt: skip

    return _stream_worker(
        config, "alerts", stop, [topics.enriched, topics.commands], AlertInput, make_stage
    )


@dataclass
class NotifyService:
    """The notifier: its stream worker, its dispatcher threads, its incident page."""

    worker: StreamWorker[NotifierInput]
    dispatcher: Dispatcher
    sender: Sender
    web: WebServer | None
    stop_event: threading.Event

    @property
    def stage(self) -> NotifierStage:
        stage: NotifierStage = self.worker.stage  # type: ignore[assignment]
        return stage

    @property
    def stats(self) -> Any:
        return self.worker.stats

    def run(self) -> None:
        self.dispatcher.start(self.stop_event)
        if self.web is not None:
            self.web.start()
        try:
            self.worker.run()
        finally:
            self.stop_event.set()
            if self.web is not None:
                self.web.stop()
            self.dispatcher.join()


def _system_clock() -> datetime:
    return datetime.now(UTC)


def build_notify(
    config: VeilleConfig, stop: threading.Event, clock: Clock = _system_clock
) -> NotifyService:
    """`veille alerts notify`: the notifier (alerts/notify/) and its incident page. `clock`:
    wall-clock time of escalation timers and links (the demo's runs faster)."""
    try:
        check_notifier(config.alerts, config.tenants)
    except NotifierConfigError as exc:
        raise ConfigError(f"veille alerts notify: {exc}") from None
    topics = Topics(config.kafka.topic_prefix)
    settings = config.alerts.notify
    client = make_client(config.elasticsearch)
    notification_log = NotificationLog(client, config.elasticsearch)
    secret = settings.web.link_secret.get_secret_value() if settings.web.link_secret else ""
    links = (
        LinkSigner(secret, settings.web.public_url, timedelta(hours=settings.web.link_ttl_h))
        if secret
        else None
    )
    channels = {name: build_channel(name, s) for name, s in config.alerts.channels.items()}
    holder: list[NotifierStage] = []
    sender = Sender(channels, notification_log, settings, links, clock,
                    lambda record: holder[0].thread_of(record))  # fmt: skip
    dispatcher = Dispatcher(sender, clock)
    stage = NotifierStage(config.alerts, config.tenants, notification_log, dispatcher, clock)
    holder.append(stage)
    worker = _stream_worker(
        config, "notify", stop, [topics.incidents, topics.responses, topics.health],
        NotifierInput, lambda _producer, _consumer: stage, listener=stage,
    )  # fmt: skip
    web = None
    if settings.web.enabled:
        producer = DurableProducer(make_producer(config.kafka, f"{group_id(config, 'notify')}-web"))
        app = make_app(notification_log, links, producer, topics, clock, config.alerts)
        web = WebServer(app, settings.web.listen_host, settings.web.listen_port)
    return NotifyService(worker, dispatcher, sender, web, stop)


Builder = Callable[[VeilleConfig, threading.Event], Any]
BUILDERS: dict[str, Builder] = {
    "ingest": build_ingest,
    "enrich": build_enrich,
    "stories": build_stories,
    "index": build_index,
    "alerts": build_alerts,
    "notify": build_notify,
    "push": build_push,
    "response": build_response_watch,
}


def start_workers(
    config: VeilleConfig,
    names: tuple[str, ...] = WORKERS,
    stop: threading.Event | None = None,
    builders: dict[str, Builder] | None = None,
) -> RunningWorkers:
    """`builders` replaces some of BUILDERS (the demo's notifier runs on its clock)."""
    running = RunningWorkers(stop or threading.Event())
    chosen = BUILDERS | (builders or {})
    for name in names:
        worker = chosen[name](config, running.stop_event)
        running.workers[name] = worker

        def target(name: str = name, worker: Any = worker) -> None:
            try:
                worker.run()
            except BaseException as exc:
                running.failures[name] = exc
                log.exception("%s worker stopped for good; stopping every worker", name)
                running.stop_event.set()

        thread = threading.Thread(target=target, name=f"veille-{name}", daemon=True)
        thread.start()
        running.threads.append(thread)
    return running
