"""Every Prometheus metric veille exports, defined once, and the functions that record them.

Contract: the metric names below are an interface (the dashboard and alert rules under
`deploy/` name them; a test checks that every name they use is registered here). Every stage
records through these functions, never through its own metric objects, so one process
serving several workers (`veille run`) exposes one consistent set on its one `/metrics`
port (runtime/probes.py). Labels are bounded: stage, topic, partition, channel, outcome,
source, tenant — never a mention or incident id.

The notifier records each page attempt with `record_page(channel, outcome)`:
`sent` (the provider took it), `failed` (given up: an unrecoverable answer), `retried` (a
recoverable failure; the page stays queued and is tried again).
"""

from collections import Counter as Tally
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Literal

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

PageOutcome = Literal["sent", "failed", "retried"]

# Latency buckets (s): a fetch-to-index path of tens of milliseconds up to a backlog of hours.
_LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14400)
_BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)

CONSUMED = Counter(
    "veille_messages_consumed", "Messages a stream worker read and committed", ["stage", "topic"]
)
PRODUCED = Counter(
    "veille_messages_produced", "Messages Kafka acknowledged (acks=all), per topic", ["topic"]
)
DEAD_LETTERED = Counter(
    "veille_messages_dead_lettered",
    "Messages sent to the dead-letter topic, by stage and the topic they came from",
    ["stage", "topic"],
)
CONSUMER_LAG = Gauge(
    "veille_consumer_lag",
    "Messages between a partition's high watermark and this worker's position",
    ["stage", "topic", "partition"],
)
BATCH_SIZE = Histogram(
    "veille_batch_size", "Records per polled batch", ["stage"], buckets=_BATCH_BUCKETS
)
BATCH_DURATION = Histogram(
    "veille_batch_duration_seconds", "Decode, handle, flush and commit of one batch", ["stage"]
)
BATCH_RETRIES = Counter(
    "veille_batch_retries", "Batches that failed transiently and were rewound", ["stage"]
)
INFERENCE_DURATION = Histogram(
    "veille_inference_duration_seconds", "One model forward pass (collate, forward, post)"
)
INFERENCE_BATCH_FILL = Histogram(
    "veille_inference_batch_fill",
    "Items in an inference batch over max_batch_size",
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0),
)
BULK_ERRORS = Counter(
    "veille_bulk_errors",
    "Bulk items Elasticsearch did not index: rejected (dead-lettered) or failed (retried)",
    ["kind"],
)
BULK_RETRIES = Counter(
    "veille_bulk_retries", "Index batches rewound after a bulk failure (5xx, 429, connection)"
)
READY = Gauge("veille_ready", "1 when /readyz would answer 200 (evaluated at each scrape)")
INCIDENTS_OPENED = Counter("veille_incidents_opened", "Incidents opened", ["tenant"])
PAGES = Counter("veille_pages", "Page attempts per channel and outcome", ["channel", "outcome"])
SOURCE_UP = Gauge(
    "veille_source_up", "1 if the source's last poll succeeded and it is not silent", ["source"]
)
SOURCE_ERRORS = Gauge(
    "veille_source_consecutive_errors", "Failed polls in a row, per source", ["source"]
)
SOURCE_LAST_SUCCESS = Gauge(
    "veille_source_last_success_timestamp_seconds", "Unix time of the last good poll", ["source"]
)
MENTION_LATENCY = Histogram(
    "veille_mention_latency_seconds",
    "Per mention, time between two steps: published→fetched, fetched→enriched, "
    "enriched→indexed, and fetched→indexed",
    ["hop"],
    buckets=_LATENCY_BUCKETS,
)
INCIDENT_LATENCY = Histogram(
    "veille_incident_latency_seconds",
    "Raw-in → incident-out: the newest triggering mention's fetch to the incident's publication",
    buckets=_LATENCY_BUCKETS,
)


def record_page(channel: str, outcome: PageOutcome) -> None:
    """One page attempt on `channel`: `sent`, `failed` (given up) or `retried`."""
    PAGES.labels(channel=channel, outcome=outcome).inc()


def record_consumed(stage: str, topics: Iterable[str]) -> None:
    """A committed batch: one topic name per record."""
    for topic, count in Tally(topics).items():
        CONSUMED.labels(stage=stage, topic=topic).inc(count)


def record_lag(stage: str, topic: str, partition: int, lag: int) -> None:
    CONSUMER_LAG.labels(stage=stage, topic=topic, partition=str(partition)).set(lag)


def forget_lag(stage: str, topic: str, partition: int) -> None:
    """A partition this worker no longer owns: its lag is someone else's to report."""
    with suppress(KeyError):
        CONSUMER_LAG.remove(stage, topic, str(partition))


def record_source(
    source: str, ok: bool, consecutive_errors: int, last_success: datetime | None
) -> None:
    SOURCE_UP.labels(source=source).set(1 if ok else 0)
    SOURCE_ERRORS.labels(source=source).set(consecutive_errors)
    if last_success is not None:
        SOURCE_LAST_SUCCESS.labels(source=source).set(last_success.timestamp())


def record_hops(published: datetime, fetched: datetime, enriched: datetime) -> None:
    """An indexed mention's path, measured now (the bulk acknowledged it)."""
    now = datetime.now(UTC)
    for hop, start, end in (
        ("published_to_fetched", published, fetched),
        ("fetched_to_enriched", fetched, enriched),
        ("enriched_to_indexed", enriched, now),
        ("fetched_to_indexed", fetched, now),
    ):
        MENTION_LATENCY.labels(hop=hop).observe(max(0.0, (end - start).total_seconds()))


def record_incident_opened(tenant: str, raw_in: datetime | None) -> None:
    INCIDENTS_OPENED.labels(tenant=tenant).inc()
    if raw_in is not None:
        INCIDENT_LATENCY.observe(max(0.0, (datetime.now(UTC) - raw_in).total_seconds()))


def registry() -> CollectorRegistry:
    """The registry `/metrics` serves (prometheus_client's default: process metrics too)."""
    return REGISTRY
