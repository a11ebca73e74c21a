"""Where veille runs: the broker, the search engine, the embedded stack, the stream loop."""

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator

from schemas.config.base import SettingsModel

CONSUMER_DEFAULTS: dict[str, Any] = {
    "session_timeout_ms": 10_000,
    "heartbeat_interval_ms": 3_000,
    "receive_message_max_bytes": 256 * 1024 * 1024,
    "max_poll_records": 500,
    "max_poll_interval_ms": 300_000,
}
"""veille's kafka-python consumer options; `kafka.consumer` is merged over them."""
PRODUCER_DEFAULTS: dict[str, Any] = {"linger_ms": 5, "max_request_size": 8 * 1024 * 1024}
"""veille's kafka-python producer options; `kafka.producer` is merged over them."""


class KafkaSettings(SettingsModel):
    """Every setting a broker quirk needs is here, never a constant in code.

    noida-db ignores fetch size limits: keep `receive_message_max_bytes` high and give every
    topic a `retention_ms`. tansu joins groups quickly only with a short session timeout.
    """

    bootstrap_servers: str = "127.0.0.1:19092"
    topic_prefix: str = ""
    """Prefixes every topic name and consumer group, so several deployments share a cluster."""
    partitions: Annotated[int, Field(ge=1)] = 3
    """Partitions of each topic `veille setup` creates: the most workers of one stage that
    share the load."""
    replication_factor: Annotated[int, Field(ge=1)] = 1
    retention_ms: Annotated[int, Field(ge=60_000)] = 7 * 24 * 3600 * 1000
    """Retention of each topic `veille setup` creates (7 days)."""
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    consumer: dict[str, Any] = Field(
        default_factory=lambda: dict(CONSUMER_DEFAULTS),
        description="kafka-python KafkaConsumer options, merged over veille's defaults (a key "
        "given here replaces that default only)",
    )
    producer: dict[str, Any] = Field(
        default_factory=lambda: dict(PRODUCER_DEFAULTS),
        description="kafka-python KafkaProducer options, merged over veille's defaults; "
        "acks=all and idempotence are enforced; batches are gzip-compressed unless "
        "`compression_type` says otherwise (null: none)",
    )

    @field_validator("consumer", mode="after")
    @classmethod
    def _merged_consumer(cls, given: dict[str, Any]) -> dict[str, Any]:
        """Setting one option (tansu's `session_timeout_ms`) keeps the others: a file that
        replaced the whole map lost `receive_message_max_bytes`, which noida-db needs."""
        return {**CONSUMER_DEFAULTS, **given}

    @field_validator("producer", mode="after")
    @classmethod
    def _merged_producer(cls, given: dict[str, Any]) -> dict[str, Any]:
        return {**PRODUCER_DEFAULTS, **given}


class ElasticsearchSettings(SettingsModel):
    hosts: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:19200"])
    index_prefix: str = "veille-"
    """Prefixes every index, alias and template name (runtime/indices/)."""
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    ca_certs: str | None = None
    request_timeout_s: float = 30.0
    number_of_replicas: Annotated[int, Field(ge=0)] = 1
    """Replicas of each mention index: 0 on a single node, or the index stays yellow."""
    bulk_chunk_size: Annotated[int, Field(ge=1)] = 500
    """Documents per bulk request of the index worker (`streaming_bulk`)."""
    bulk_max_retries: Annotated[int, Field(ge=0)] = 5
    """Retries of a bulk refused with 429 before the batch fails (and is retried whole)."""
    bulk_initial_backoff_s: Annotated[float, Field(ge=0)] = 2.0
    """Wait before the first retry of a bulk refused with 429; doubled at each retry."""
    bulk_max_backoff_s: Annotated[float, Field(ge=0)] = 600.0


class StackSettings(SettingsModel):
    """The embedded stack (noida-db) for trying veille, development and CI. Not production."""

    data_dir: str = ".veille/stack"
    """Where noida-db keeps its data (`veille stack up|down|status`)."""
    host: Literal["127.0.0.1"] = "127.0.0.1"
    kafka_port: Annotated[int, Field(ge=1024, le=65535)] = 19092
    elasticsearch_port: Annotated[int, Field(ge=1024, le=65535)] = 19200
    start_timeout_s: float = 30.0
    """How long `veille stack up` waits for both services to answer, and `down` for the
    server to stop."""


class WorkerSettings(SettingsModel):
    poll_timeout_ms: Annotated[int, Field(ge=10)] = 500
    """How long one poll waits for records before an idle tick."""
    idle_poll_interval_ms: Annotated[int, Field(ge=1)] = 150
    """The longest wait between two polls of an assigned worker without an offset watch
    (below). It polls back to back while records arrive; after consecutive empty polls it
    waits 2 ms, then twice as long each time, up to this (noida-db answers an empty fetch at
    once, ignoring `fetch_max_wait_ms`, so kafka-python's back-to-back fetches burnt a core
    per idle pipeline)."""
    offset_watch_interval_ms: Annotated[int, Field(ge=0)] = 20
    """While waiting between polls, how often a worker on a PLAINTEXT listener asks the
    partition leaders for the latest offsets (a small ListOffsets request, far cheaper than a
    poll) and polls at once if they moved. The first record after a quiet spell then waits
    up to this long for its poll, at each stage it crosses. Each round costs one wake-up of a
    thread (about 0.2 ms of CPU on a small VM, far more than the request): 20 ms is about 1 %
    of a core per process; the waits between polls grow as above but past
    `idle_poll_interval_ms` (runtime/idle.py: `WATCHED_CEILING_S`). 0: never ask (paced
    polls only)."""
    small_batch_pause_ms: Annotated[int, Field(ge=0, le=5_000)] = 0
    """After a batch of fewer than `small_batch_records` records, wait this long before the
    next poll, so that the next batch gathers what arrived meanwhile: fewer, bigger batches
    (each costs a fixed overhead: a model call, a flush, a commit) for at most this much more
    latency at each stage. Polling again at once keeps every worker busy on batches of a few
    records: at 150 mentions/s on two cores the pipeline used 1.92 cores, 1.15 with 100 ms
    (bench_pipeline; raw-in → indexed p95 0.73 s → 0.94 s). 100 is the setting for a
    sustained load (deploy/veille.prod.yaml); 0 (the default: poll again at once) for the
    demo, whose sped-up clock leaves its escalation about a real second of margin."""
    small_batch_records: Annotated[int, Field(ge=1)] = 64
    retry_backoff_s: Annotated[float, Field(gt=0)] = 1.0
    """Wait before retrying a batch after a transient failure; doubled at each retry."""
    retry_backoff_max_s: Annotated[float, Field(gt=0)] = 30.0
    dlq_max_consecutive: Annotated[int, Field(ge=1)] = 1000
    """Stop the worker, before committing, when this many messages in a row were rejected
    (dead-lettered): a broken deploy stops instead of dead-lettering everything."""
    dlq_max_ratio: Annotated[float, Field(gt=0.0, le=1.0)] | None = 0.5
    """Stop when more than this share of the last `dlq_ratio_window` messages was rejected
    (null: no ratio limit). Checked once the window is full."""
    dlq_ratio_window: Annotated[int, Field(ge=1)] = 1000


class DemoSettings(SettingsModel):
    listen_port: Annotated[int, Field(ge=1024, le=65535)] = 18765
    """Port of the local RSS server that feeds the demo weekend to ingest."""
    speed: Annotated[float, Field(gt=0)] = 3000.0
    """Simulated seconds per real second while replaying the demo weekend."""


class EventTimeSettings(SettingsModel):
    """Which `published_at` is believed (schemas/event_time.py), at every door."""

    max_future_skew_s: Annotated[float, Field(ge=0)] = 300.0
    """A post dated more than this after it was fetched or pushed is refused."""
    max_age_days: Annotated[float, Field(gt=0)] | None = 400.0
    """A post older than this when fetched is refused (keep it ≥ the index retention);
    null: no floor (importing an old archive)."""


class MetricsSettings(SettingsModel):
    """The process's one HTTP port for `/metrics`, `/healthz` and `/readyz` (runtime/probes.py).
    `veille run` runs several workers in one process: they share it."""

    host: str = "127.0.0.1"
    """127.0.0.1 keeps it local; `0.0.0.0` in a container so Prometheus and probes reach it."""
    port: Annotated[int, Field(ge=0, le=65535)] | None = None
    """null: no metrics server (the default, so two processes on one machine never clash);
    0: any free port (tests)."""
    ready_max_lag: Annotated[int, Field(ge=0)] = 10_000
    """`/readyz` says not ready while a stream worker is further behind than this (messages,
    summed over its partitions)."""
