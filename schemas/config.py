"""Configuration: one YAML file, validated here. Secrets are SecretStr and come from the
environment (see veille.settings), so they never appear in logs or in the repo."""

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

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
    bulk_initial_backoff_s: Annotated[float, Field(ge=0)] = 2.0
    """Wait before the first retry of a bulk refused with 429; doubled at each retry."""
    bulk_max_backoff_s: Annotated[float, Field(ge=0)] = 600.0


class StackSettings(Settings):
    """The embedded stack (noida-db) for trying veille, development and CI. Not production."""

    data_dir: str = ".veille/stack"
    host: Literal["127.0.0.1"] = "127.0.0.1"
    kafka_port: Annotated[int, Field(ge=1024, le=65535)] = 19092
    elasticsearch_port: Annotated[int, Field(ge=1024, le=65535)] = 19200
    start_timeout_s: float = 30.0


class Query(Settings):
    id: Slug
    query: str = Field(
        min_length=1,
        description='brand query: AND/OR/NOT (or -term), (parentheses), "phrases", '
        "rembours*, #tags, @handles, lang:fr, source:reddit (see ingest/query.py)",
    )


class DetectionRule(Settings):
    """How a brand's buzz is judged (alerts/detector.py). Event time only.

    Mentions fall into `bucket_minutes` buckets of event time; a bucket is final once the
    watermark passes its end plus `allowed_lateness_minutes`. At each final bucket the last
    `window_minutes` are compared with the brand's baseline for that hour of the week (in
    `timezone`). An incident opens when the window is above `min_volume` and `ratio` × the
    baseline, holds at least `min_negative_share` of negative mentions, and has been above
    the window before it (accelerating) for `rising_windows` evaluations in a row.
    `sensitivity` > 1 lowers both thresholds. Defaults measured by `make bench`.
    """

    timezone: str = "Europe/Paris"
    bucket_minutes: Annotated[int, Field(ge=1, le=60)] = 1
    window_minutes: Annotated[int, Field(ge=1, le=240)] = 10
    allowed_lateness_minutes: Annotated[int, Field(ge=0, le=120)] = 1
    sensitivity: Annotated[float, Field(gt=0, le=10)] = 1.0
    min_volume: Annotated[float, Field(gt=0)] = 4.5
    ratio: Annotated[float, Field(gt=1)] = 5.0
    min_negative_share: Annotated[float, Field(ge=0, le=1)] = 0.6
    rising_windows: Annotated[int, Field(ge=1, le=10)] = 2
    escalate_factor: Annotated[float, Field(gt=1)] = 2.0
    resolve_after_minutes: Annotated[int, Field(ge=1)] = 60
    negative_score_max: Annotated[float, Field(ge=-1, le=0)] = -0.05
    positive_score_min: Annotated[float, Field(ge=0, le=1)] = 0.05
    viral_score: Annotated[float, Field(ge=0, le=100)] = 80.0
    high_reach_followers: Annotated[int, Field(ge=1)] = 1_000_000
    opportunities: bool = True
    baseline_slot_weeks: Annotated[int, Field(ge=1)] = 2
    baseline_warmup_hours: Annotated[int, Field(ge=1)] = 24
    baseline_floor: Annotated[float, Field(gt=0)] = 0.05

    @model_validator(mode="after")
    def _window_holds_buckets(self) -> "DetectionRule":
        if 60 % self.bucket_minutes:
            raise ValueError("bucket_minutes must divide 60")
        if self.window_minutes % self.bucket_minutes:
            raise ValueError("window_minutes must be a multiple of bucket_minutes")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.timezone!r}") from None
        return self


class Brand(Settings):
    id: Slug
    name: str
    queries: list[Query] = Field(min_length=1)
    exclude: list[str] = Field(
        default_factory=list, description="queries whose match vetoes this brand (homonyms)"
    )
    detection: dict[str, Any] = Field(
        default_factory=dict, description="overrides of alerts.detection for this brand"
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


class SourceSettings(Settings):
    """What every source has; each type below adds its own fields (ingest/sources/<type>.py)."""

    id: Slug
    poll_interval_s: Annotated[float, Field(gt=0)] = 300.0
    timeout_s: Annotated[float, Field(gt=0)] = 20.0
    max_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    tenants: list[str] | None = Field(default=None, description="tenants it serves; null = all")
    lang: str | None = Field(default="fr", description="language assumed for its items")
    silent_after_s: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="no new item for this long → source_silent (null: never)"
    )


class RssSource(SourceSettings):
    type: Literal["rss"] = "rss"
    url: str = Field(pattern=r"^https?://")


class BlogSource(SourceSettings):
    """A blog's HTML page: its feed is discovered from `<link rel="alternate">`; matched
    entries that carry only a summary get their article text fetched."""

    type: Literal["blog"] = "blog"
    url: str = Field(pattern=r"^https?://")
    fetch_full_text: bool = True


class MastodonSource(SourceSettings):
    """Public hashtag timeline, an account's statuses, or search (search needs a token)."""

    type: Literal["mastodon"] = "mastodon"
    instance: str = Field(pattern=r"^https?://", description="e.g. https://mastodon.social")
    hashtag: str | None = None
    account_id: str | None = None
    search: str | None = None
    token: SecretStr | None = None
    page_limit: Annotated[int, Field(ge=1, le=40)] = 40
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None

    @model_validator(mode="after")
    def _one_timeline(self) -> "MastodonSource":
        if sum(x is not None for x in (self.hashtag, self.account_id, self.search)) != 1:
            raise ValueError("set exactly one of hashtag, account_id, search")
        return self


class BlueskySource(SourceSettings):
    type: Literal["bluesky"] = "bluesky"
    appview: str = Field(default="https://public.api.bsky.app", pattern=r"^https?://")
    query: str = Field(min_length=1)
    page_limit: Annotated[int, Field(ge=1, le=100)] = 50
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None


class RedditSource(SourceSettings):
    """Reddit JSON listings; `user_agent` must follow Reddit's rule
    `<platform>:<app id>:<version> (by /u/<username>)`."""

    type: Literal["reddit"] = "reddit"
    base_url: str = Field(default="https://www.reddit.com", pattern=r"^https?://")
    search: str | None = None
    subreddit: str | None = None
    user_agent: str = Field(pattern=r"^\S+:\S+:\S+ \(by /u/\S+\)$")
    limit: Annotated[int, Field(ge=1, le=100)] = 100
    lang: str | None = None

    @model_validator(mode="after")
    def _one_listing(self) -> "RedditSource":
        if (self.search is None) == (self.subreddit is None):
            raise ValueError("set exactly one of search, subreddit")
        return self


class XSource(SourceSettings):
    """X API v2 recent search; bearer token from VEILLE__SOURCES__<N>__BEARER_TOKEN."""

    type: Literal["x"] = "x"
    base_url: str = Field(default="https://api.x.com", pattern=r"^https?://")
    query: str = Field(min_length=1)
    bearer_token: SecretStr | None = None
    max_results: Annotated[int, Field(ge=10, le=100)] = 100
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None


class YouTubeSource(SourceSettings):
    """YouTube Data API v3 comment threads of a video or of a whole channel."""

    type: Literal["youtube"] = "youtube"
    base_url: str = Field(default="https://www.googleapis.com", pattern=r"^https?://")
    video_id: str | None = None
    channel_id: str | None = None
    api_key: SecretStr | None = None
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "YouTubeSource":
        if (self.video_id is None) == (self.channel_id is None):
            raise ValueError("set exactly one of video_id, channel_id")
        return self


class FacebookSource(SourceSettings):
    """Graph API: comments on a page's recent posts; page access token from the environment."""

    type: Literal["facebook"] = "facebook"
    base_url: str = Field(default="https://graph.facebook.com", pattern=r"^https?://")
    api_version: str = Field(default="v19.0", pattern=r"^v\d+\.\d+$")
    page_id: str = Field(min_length=1)
    access_token: SecretStr | None = None
    lookback_days: Annotated[float, Field(gt=0)] = 3.0
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None


class ReplaySource(SourceSettings):
    """A JSONL file of posts (schemas.mention.IncomingPost per line), read from where the
    last poll stopped; appended lines are picked up."""

    type: Literal["replay"] = "replay"
    path: str
    batch_lines: Annotated[int, Field(ge=1)] = 10_000
    poll_interval_s: Annotated[float, Field(gt=0)] = 1.0


Source = Annotated[
    RssSource
    | BlogSource
    | MastodonSource
    | BlueskySource
    | RedditSource
    | XSource
    | YouTubeSource
    | FacebookSource
    | ReplaySource,
    Field(discriminator="type"),
]


class PushSettings(Settings):
    """`veille ingest push`: POST /ingest/{tenant} with `Authorization: Bearer <token>`."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 18766
    tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="tenant → token; set each from VEILLE__INGEST__PUSH__TOKENS__<TENANT>",
    )
    max_body_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    max_posts: Annotated[int, Field(ge=1)] = 5000


class IngestSettings(Settings):
    """How the ingest worker fetches, remembers and reports (see ingest/worker.py)."""

    state_dir: str | None = Field(
        default=".veille/ingest",
        description="local store of cursors, seen ids and recent mentions (SQLite); "
        "null = in memory only (the demo, which replays the same weekend each run)",
    )
    allow_networks: list[str] = Field(
        default_factory=list,
        description="private/loopback/link-local networks sources may reach, e.g. "
        "['127.0.0.0/8']; everything non-public is refused otherwise",
    )
    user_agent: str = "veille/0.1 (brand monitoring; +https://github.com/veille/veille)"
    max_concurrency: Annotated[int, Field(ge=1)] = 32
    per_host_concurrency: Annotated[int, Field(ge=1)] = 2
    per_host_interval_s: Annotated[float, Field(ge=0)] = 0.0
    max_redirects: Annotated[int, Field(ge=0)] = 5
    error_backoff_max_s: Annotated[float, Field(gt=0)] = 3600.0
    produce_timeout_s: Annotated[float, Field(gt=0)] = 30.0
    """How long a batch's flush may wait for Kafka before the batch is retried later."""
    silent_after_errors: Annotated[int, Field(ge=1)] = 5
    """Consecutive failed polls after which a `source_silent` event is produced."""
    seen_retention_days: Annotated[float, Field(gt=0)] = 30.0
    engagement_horizon_h: Annotated[float, Field(ge=0)] = 24.0
    """Posts younger than this are re-observed (engagement updates); 0 disables."""
    reobserve_interval_s: Annotated[float, Field(gt=0)] = 900.0
    push: PushSettings = Field(default_factory=PushSettings)


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
    detection: DetectionRule = Field(default_factory=DetectionRule)
    idle_partition_s: Annotated[float, Field(gt=0)] = 10.0
    """A partition caught up for this long stops holding back the event-time watermark."""
    warmup_days: Annotated[float, Field(ge=0)] = 21.0
    """On start, rebuild the detector's baselines from this much indexed history (0: none)."""
    channels: dict[str, Channel] = Field(default_factory=lambda: _console_only())
    routes: list[Route] = Field(default_factory=lambda: [Route(channels=["console"])])


class ViralitySettings(Settings):
    """Virality score (enrich/virality.py): source weights and the engagement history."""

    source_weights: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=dict, description="weight in [0, 1] per source kind (rss, x, …)"
    )
    default_source_weight: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    history_max_ids: Annotated[int, Field(ge=1)] = 100_000
    """Mention ids whose last engagement observation is kept, to measure velocity."""


class ClusterSettings(Settings):
    """Near-duplicate clusters (enrich/clusters.py): MinHash LSH over 5-character shingles."""

    threshold: Annotated[float, Field(gt=0.0, le=1.0)] = 0.6
    num_perm: Annotated[int, Field(ge=16, le=512)] = 64
    max_entries: Annotated[int, Field(ge=1)] = 20_000
    max_age_hours: Annotated[float, Field(gt=0)] = 48.0
    growth_window_minutes: Annotated[float, Field(gt=0)] = 60.0
    max_representatives: Annotated[int, Field(ge=1)] = 8
    """Members per cluster kept in the LSH index: bounds the cost of a query."""
    warmup_max_mentions: Annotated[int, Field(ge=0)] = 2_000
    """Per tenant, the newest indexed mentions (within `max_age_hours` of its latest) from
    which a worker rebuilds its clusters after a start or a rebalance (enrich/warmup.py);
    0: start empty. `max_entries` is shared by the tenants of a worker: keep this times the
    tenants of one worker under it, or a rebuild evicts another tenant's oldest mentions."""


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
    virality: ViralitySettings = Field(default_factory=ViralitySettings)
    clusters: ClusterSettings = Field(default_factory=ClusterSettings)


class WorkerSettings(Settings):
    poll_timeout_ms: Annotated[int, Field(ge=10)] = 500
    retry_backoff_s: Annotated[float, Field(gt=0)] = 1.0
    retry_backoff_max_s: Annotated[float, Field(gt=0)] = 30.0
    dlq_max_consecutive: Annotated[int, Field(ge=1)] = 1000
    dlq_max_ratio: Annotated[float, Field(gt=0.0, le=1.0)] | None = 0.5
    """Stop when more than this share of the last `dlq_ratio_window` messages was rejected
    (null: no ratio limit). Checked once the window is full."""
    dlq_ratio_window: Annotated[int, Field(ge=1)] = 1000


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
    ingest: IngestSettings = Field(default_factory=IngestSettings)
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
        for t in self.tenants:
            for b in t.brands:
                try:
                    self.detection_rule(t.id, b.id)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    where = ".".join(str(p) for p in first["loc"])
                    raise ValueError(
                        f"tenant {t.id!r}, brand {b.id!r}: detection.{where}: {first['msg']}"
                    ) from None
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

    def detection_rule_or_default(self, tenant_id: str, brand_id: str) -> DetectionRule:
        """The brand's rule, or alerts.detection for a brand this file does not know."""
        known = any(b.id == brand_id for t in self.tenants if t.id == tenant_id for b in t.brands)
        return self.detection_rule(tenant_id, brand_id) if known else self.alerts.detection

    def detection_rule(self, tenant_id: str, brand_id: str) -> DetectionRule:
        """The brand's rule: alerts.detection with the brand's overrides applied."""
        brand = next(b for b in self.tenant(tenant_id).brands if b.id == brand_id)
        if not brand.detection:
            return self.alerts.detection
        return DetectionRule.model_validate(self.alerts.detection.model_dump() | brand.detection)


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
