"""Configuration: one YAML file, validated here. Secrets are SecretStr and come from the
environment (see veille.settings), so they never appear in logs or in the repo."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KafkaSettings(Settings):
    """Every setting a broker quirk needs is here, never a constant in code.

    noida-db ignores fetch size limits: keep `receive_message_max_bytes` high and give every
    topic a `retention_ms`. tansu joins groups quickly only with a short session timeout.
    """

    bootstrap_servers: str = "127.0.0.1:19092"
    topic_prefix: str = ""
    partitions: Annotated[int, Field(ge=1)] = 3
    replication_factor: Annotated[int, Field(ge=1)] = 1
    retention_ms: Annotated[int, Field(ge=60_000)] = 7 * 24 * 3600 * 1000
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    consumer: dict[str, Any] = Field(
        default_factory=lambda: {
            "session_timeout_ms": 10_000,
            "heartbeat_interval_ms": 3_000,
            "receive_message_max_bytes": 256 * 1024 * 1024,
            "max_poll_records": 500,
            "max_poll_interval_ms": 300_000,
        },
        description="kafka-python KafkaConsumer options, merged over veille's defaults",
    )
    producer: dict[str, Any] = Field(
        default_factory=lambda: {"linger_ms": 5, "max_request_size": 8 * 1024 * 1024},
        description="kafka-python KafkaProducer options; acks=all and idempotence are enforced",
    )


class ElasticsearchSettings(Settings):
    hosts: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:19200"])
    index_prefix: str = "veille-"
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    ca_certs: str | None = None
    request_timeout_s: float = 30.0
    number_of_replicas: Annotated[int, Field(ge=0)] = 1
    """Replicas of each mention index: 0 on a single node, or the index stays yellow."""
    bulk_chunk_size: Annotated[int, Field(ge=1)] = 500
    bulk_max_retries: Annotated[int, Field(ge=0)] = 5


class StackSettings(Settings):
    """The embedded stack (noida-db) for trying veille, development and CI. Not production."""

    data_dir: str = ".veille/stack"
    host: Literal["127.0.0.1"] = "127.0.0.1"
    kafka_port: Annotated[int, Field(ge=1024, le=65535)] = 19092
    elasticsearch_port: Annotated[int, Field(ge=1024, le=65535)] = 19200
    start_timeout_s: float = 30.0


class Query(Settings):
    id: Slug
    query: str = Field(min_length=1, description="terms and quoted phrases joined by OR")


class NegativeBurstRule(Settings):
    """Skeleton rule: at least `min_negative` negative mentions of one brand within
    `window_minutes` of event time opens an incident."""

    window_minutes: Annotated[int, Field(ge=1)] = 30
    min_negative: Annotated[int, Field(ge=1)] = 15
    negative_score_max: Annotated[float, Field(le=0.0, ge=-1.0)] = -0.05
    escalate_factor: Annotated[float, Field(gt=1.0)] = 2.0
    resolve_after_quiet_minutes: Annotated[int, Field(ge=1)] = 120


class Brand(Settings):
    id: Slug
    name: str
    queries: list[Query] = Field(min_length=1)
    negative_burst: NegativeBurstRule | None = Field(
        default=None, description="overrides alerts.negative_burst for this brand"
    )


class Tenant(Settings):
    id: Slug
    name: str
    brands: list[Brand] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_brands(self) -> "Tenant":
        _require_unique([b.id for b in self.brands], "brand id")
        for brand in self.brands:
            _require_unique([q.id for q in brand.queries], f"query id in brand {brand.id!r}")
        return self


class RssSource(Settings):
    id: Slug
    type: Literal["rss"] = "rss"
    url: str = Field(pattern=r"^https?://")
    poll_interval_s: Annotated[float, Field(gt=0)] = 300.0
    timeout_s: Annotated[float, Field(gt=0)] = 20.0
    max_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    tenants: list[str] | None = Field(default=None, description="tenants it serves; null = all")
    lang: str | None = Field(default="fr", description="language assumed for its items")


Source = Annotated[RssSource, Field(discriminator="type")]


class WebhookChannel(Settings):
    type: Literal["webhook"] = "webhook"
    url: SecretStr | None = Field(
        default=None, description="secret: set it through VEILLE__ALERTS__CHANNELS__<ID>__URL"
    )
    timeout_s: float = 10.0
    max_attempts: Annotated[int, Field(ge=1)] = 5


class ConsoleChannel(Settings):
    type: Literal["console"] = "console"


Channel = Annotated[WebhookChannel | ConsoleChannel, Field(discriminator="type")]


class Route(Settings):
    """Pages for `tenant` (or '*') and `brands` (empty = all of them) go to `channels`."""

    tenant: str = "*"
    brands: list[str] = Field(default_factory=list)
    channels: list[str] = Field(min_length=1)


def _console_only() -> dict[str, Channel]:
    return {"console": ConsoleChannel()}


class AlertsSettings(Settings):
    negative_burst: NegativeBurstRule = Field(default_factory=NegativeBurstRule)
    channels: dict[str, Channel] = Field(default_factory=lambda: _console_only())
    routes: list[Route] = Field(default_factory=lambda: [Route(channels=["console"])])


class SentimentModelSettings(Settings):
    """The transformer sentiment model (`enrich.scorer: transformer`).

    Default: multilingual-e5-small rebuilt offline by `veille model build` into
    `models_dir`, with the bundled 3-class head. Any transformers model works the same way:
    `kind: sequence-classification`, `path` a hub id or local directory, and `labels`
    mapping each of its labels to negative / neutral / positive.
    """

    kind: Literal["encoder-head", "sequence-classification"] = "encoder-head"
    id: str = Field(default="e5-small-sentiment-fr", description="reported in sentiment.model")
    path: str | None = Field(
        default=None, description="hub id or local dir; null = the built default encoder"
    )
    models_dir: str = ".veille/models"
    head: str | None = Field(
        default=None, description="head file (encoder-head); null = the bundled head"
    )
    input_prefix: str | None = Field(
        default=None, description="null = 'query: ' for encoder-head (e5 expects it), else ''"
    )
    labels: dict[str, Literal["negative", "neutral", "positive"]] = Field(
        default_factory=dict,
        description="model label → veille label (sequence-classification)",
    )
    max_length: Annotated[int, Field(ge=8, le=8192)] = 128
    max_batch_size: Annotated[int, Field(ge=1)] = 64
    max_batch_tokens: Annotated[int, Field(ge=8)] = 8192
    max_wait_ms: Annotated[float, Field(ge=0)] = 5.0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    cpu_threads: Annotated[int, Field(ge=1)] | None = None
    quantize_int8: bool = Field(default=False, description="dynamic int8 Linear layers (CPU)")


class EnrichSettings(Settings):
    scorer: Literal["transformer", "lexicon"] = Field(
        default="transformer",
        description="transformer = enrich.model; lexicon = vadersentiment-fr (explicit fallback)",
    )
    model: SentimentModelSettings = Field(default_factory=SentimentModelSettings)
    negative_below: float = -0.05
    positive_above: float = 0.05


class WorkerSettings(Settings):
    poll_timeout_ms: Annotated[int, Field(ge=10)] = 500
    retry_backoff_s: Annotated[float, Field(gt=0)] = 1.0
    retry_backoff_max_s: Annotated[float, Field(gt=0)] = 30.0
    dlq_max_consecutive: Annotated[int, Field(ge=1)] = 1000


class DemoSettings(Settings):
    listen_port: Annotated[int, Field(ge=1024, le=65535)] = 18765
    speed: Annotated[float, Field(gt=0)] = 3000.0
    """Simulated seconds per real second while replaying the demo weekend."""


class VeilleConfig(Settings):
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    stack: StackSettings = Field(default_factory=StackSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    enrich: EnrichSettings = Field(default_factory=EnrichSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    tenants: list[Tenant] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> "VeilleConfig":
        tenant_ids = [t.id for t in self.tenants]
        _require_unique(tenant_ids, "tenant id")
        _require_unique([s.id for s in self.sources], "source id")
        brands = {t.id: {b.id for b in t.brands} for t in self.tenants}
        for source in self.sources:
            for tenant in source.tenants or []:
                if tenant not in brands:
                    raise ValueError(f"source {source.id!r} names unknown tenant {tenant!r}")
        for route in self.alerts.routes:
            if route.tenant != "*" and route.tenant not in brands:
                raise ValueError(f"alert route names unknown tenant {route.tenant!r}")
            for brand in route.brands:
                known = brands.get(route.tenant, set()).union(
                    *brands.values() if route.tenant == "*" else []
                )
                if brand not in known:
                    raise ValueError(f"alert route names unknown brand {brand!r}")
            for channel in route.channels:
                if channel not in self.alerts.channels:
                    raise ValueError(f"alert route names unknown channel {channel!r}")
        return self

    def tenant(self, tenant_id: str) -> Tenant:
        return next(t for t in self.tenants if t.id == tenant_id)

    def burst_rule(self, tenant_id: str, brand_id: str) -> NegativeBurstRule:
        brand = next(b for b in self.tenant(tenant_id).brands if b.id == brand_id)
        return brand.negative_burst or self.alerts.negative_burst


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
