"""What ingest reads: the sources (one class per type) and how the worker fetches."""

from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from schemas.config.base import HttpUrlStr, SettingsModel, Slug


class SourceSettings(SettingsModel):
    """What every source has; each type below adds its own fields (ingest/sources/<type>.py)."""

    id: Slug
    poll_interval_s: Annotated[float, Field(gt=0)] = 300.0
    timeout_s: Annotated[float, Field(gt=0)] = 20.0
    max_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    tenants: list[str] | None = Field(default=None, description="tenants it serves; null = all")
    lang: str | None = Field(
        default="fr",
        description="fallback language of its items: a declared one wins, then a detected one",
    )
    silent_after_s: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="no new item for this long → source_silent (null: never)"
    )


class RssSourceSettings(SourceSettings):
    type: Literal["rss"] = "rss"
    url: HttpUrlStr


class BlogSourceSettings(SourceSettings):
    """A blog's HTML page: its feed is discovered from `<link rel="alternate">`; matched
    entries that carry only a summary get their article text fetched."""

    type: Literal["blog"] = "blog"
    url: HttpUrlStr
    fetch_full_text: bool = True


class MastodonSourceSettings(SourceSettings):
    """Public hashtag timeline, an account's statuses, or search (search needs a token)."""

    type: Literal["mastodon"] = "mastodon"
    instance: HttpUrlStr = Field(description="e.g. https://mastodon.social")
    hashtag: str | None = None
    account_id: str | None = None
    search: str | None = None
    token: SecretStr | None = None
    page_limit: Annotated[int, Field(ge=1, le=40)] = 40
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None

    @model_validator(mode="after")
    def _one_timeline(self) -> "MastodonSourceSettings":
        if sum(x is not None for x in (self.hashtag, self.account_id, self.search)) != 1:
            raise ValueError("set exactly one of hashtag, account_id, search")
        return self


class BlueskySourceSettings(SourceSettings):
    type: Literal["bluesky"] = "bluesky"
    appview: HttpUrlStr = "https://public.api.bsky.app"
    query: str = Field(min_length=1)
    page_limit: Annotated[int, Field(ge=1, le=100)] = 50
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None


class RedditSourceSettings(SourceSettings):
    """Reddit JSON listings; `user_agent` must follow Reddit's rule
    `<platform>:<app id>:<version> (by /u/<username>)`."""

    type: Literal["reddit"] = "reddit"
    base_url: HttpUrlStr = "https://www.reddit.com"
    search: str | None = None
    subreddit: str | None = None
    comments: bool = Field(
        default=False,
        description="subreddit mode: read its newest comments (replies, the brand's answers"
        " among them) instead of its newest posts",
    )
    user_agent: str = Field(pattern=r"^\S+:\S+:\S+ \(by /u/\S+\)$")
    limit: Annotated[int, Field(ge=1, le=100)] = 100
    lang: str | None = None

    @model_validator(mode="after")
    def _one_listing(self) -> "RedditSourceSettings":
        if (self.search is None) == (self.subreddit is None):
            raise ValueError("set exactly one of search, subreddit")
        if self.comments and self.subreddit is None:
            raise ValueError("comments reads a subreddit: set subreddit")
        return self


class XSourceSettings(SourceSettings):
    """X API v2 recent search; bearer token from VEILLE__SOURCES__<N>__BEARER_TOKEN."""

    type: Literal["x"] = "x"
    base_url: HttpUrlStr = "https://api.x.com"
    query: str = Field(min_length=1)
    bearer_token: SecretStr | None = None
    max_results: Annotated[int, Field(ge=10, le=100)] = 100
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None


class YouTubeSourceSettings(SourceSettings):
    """YouTube Data API v3 comment threads of a video or of a whole channel."""

    type: Literal["youtube"] = "youtube"
    base_url: HttpUrlStr = "https://www.googleapis.com"
    video_id: str | None = None
    channel_id: str | None = None
    api_key: SecretStr | None = None
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "YouTubeSourceSettings":
        if (self.video_id is None) == (self.channel_id is None):
            raise ValueError("set exactly one of video_id, channel_id")
        return self


class FacebookSourceSettings(SourceSettings):
    """Graph API: comments on a page's recent posts; page access token from the environment."""

    type: Literal["facebook"] = "facebook"
    base_url: HttpUrlStr = "https://graph.facebook.com"
    api_version: str = Field(default="v19.0", pattern=r"^v\d+\.\d+$")
    page_id: str = Field(min_length=1)
    access_token: SecretStr | None = None
    lookback_days: Annotated[float, Field(gt=0)] = 3.0
    max_pages: Annotated[int, Field(ge=1)] = 5
    lang: str | None = None


class ReplaySourceSettings(SourceSettings):
    """A JSONL file of posts (schemas.mention.IncomingPost per line), read from where the
    last poll stopped; appended lines are picked up."""

    type: Literal["replay"] = "replay"
    path: str
    batch_lines: Annotated[int, Field(ge=1)] = 10_000
    poll_interval_s: Annotated[float, Field(gt=0)] = 1.0


AnySourceSettings = Annotated[
    RssSourceSettings
    | BlogSourceSettings
    | MastodonSourceSettings
    | BlueskySourceSettings
    | RedditSourceSettings
    | XSourceSettings
    | YouTubeSourceSettings
    | FacebookSourceSettings
    | ReplaySourceSettings,
    Field(discriminator="type"),
]


class PushSettings(SettingsModel):
    """`veille ingest push`: POST /ingest/{tenant} with `Authorization: Bearer <token>`."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 18766
    tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="tenant → token; set each from VEILLE__INGEST__PUSH__TOKENS__<TENANT> "
        "(a - in the tenant id written _), or all as JSON in VEILLE__INGEST__PUSH__TOKENS",
    )
    max_body_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    """Counted on the bytes read (chunked bodies too); over it: 413."""
    max_posts: Annotated[int, Field(ge=1)] = 5000
    max_json_depth: Annotated[int, Field(ge=3, le=128)] = 16
    """Deeper JSON is a 400 before any post is read (a post needs 4 levels)."""
    max_connections: Annotated[int, Field(ge=1)] = 512
    """Connections and requests in flight at once; beyond: 503 for the newcomers."""
    idle_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    """A connection with no request (new, or kept alive after one) is closed after this."""
    read_timeout_s: Annotated[float, Field(gt=0)] = 30.0
    """A body not fully received within this: 408; a request head not received whole within
    this (of the connection, or of the previous answer): the connection is closed."""
    rate_per_s: Annotated[float, Field(gt=0)] = 20.0
    """Requests per second per tenant, on average; beyond the burst: 429 + Retry-After."""
    burst: Annotated[int, Field(ge=1)] = 40


class IngestSettings(SettingsModel):
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
    """Seen ids and emitted mentions are forgotten after this; also the retention of the
    `ingest.state` topic (ingest/statelog.py)."""
    state_partitions: Annotated[int, Field(ge=1)] = 12
    """Partitions of the `ingest.state` topic, created once: the most ingest workers that
    share the sources (each source belongs to one partition, each partition to one worker)."""
    engagement_horizon_h: Annotated[float, Field(ge=0)] = 24.0
    """Posts younger than this are re-observed (engagement updates); 0 disables."""
    reobserve_interval_s: Annotated[float, Field(gt=0)] = 900.0
    push: PushSettings = Field(default_factory=PushSettings)
