"""What every source yields and raises, and the shape of a source.

A source is polled with its last committed cursor and answers a Fetched batch: the items it
found and the cursor to commit once they are durable in Kafka. It never commits anything
itself, so a batch that could not be produced is fetched again (the worker dedups by id).

Optional capabilities are Protocols a source class may also satisfy (checked with
isinstance): `Observing` (looks posts up by id, for re-observation), `Completing` (fills a
matched item's text, e.g. a blog's article), `Watched` (goes silent after a quiet spell).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from ingest.http import SafeClient
from schemas.mention import Author, LangOrigin

Cursor = dict[str, Any]
"""A source's resume point (ETag, since_id, a pagination cursor…): JSON-serialisable."""


class SourceError(Exception):
    """A poll failed; the message says why. Other sources are not affected.
    `retry_after_s`: the server asked us to wait this long (429/503 Retry-After)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Counts:
    """Engagement as the source reported it when fetched."""

    likes: int = 0
    reposts: int = 0
    replies: int = 0


@dataclass(frozen=True)
class FeedItem:
    """One fetched item. `url_identifies`: False when `url` is not the item's own address
    (every item of its feed links to one page, or to the feed's site): its mention id then
    comes from `native_id`. `published_known`: False when the source gave no readable date
    (`published_at` is then the fetch time). `lang_origin`/`lang_confidence`: how `lang` was
    decided (ingest.language). `reshared_by`: who reshared it, when it was read through a
    reshare (a Mastodon boost): its audience is the reach. `in_reply_to`: the native id of
    the post it answers, at the same source. `author_id`: the author's account id at the
    source (X user id, Bluesky DID, Mastodon account id), where the source gives one."""

    native_id: str
    url: str | None
    title: str | None
    text: str
    author_name: str | None
    author_handle: str | None
    published_at: datetime
    lang: str | None
    author_followers: int | None = None
    engagement: Counts | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    url_identifies: bool = True
    published_known: bool = True
    lang_origin: LangOrigin | None = None
    lang_confidence: float | None = None
    reshared_by: Author | None = None
    in_reply_to: str | None = None
    author_id: str | None = None


@dataclass(frozen=True)
class Fetched:
    """`wait_s`: the source asks not to be polled again before this (rate-limit headers).
    `rejected`: input it could not read, (reason, original bytes), for the dead-letter topic."""

    items: list[FeedItem]
    cursor: Cursor
    wait_s: float | None = None
    rejected: list[tuple[str, bytes]] = field(default_factory=list)


class Origin(Protocol):
    """Where items come from: what their mentions name (`source`, `source_kind`) and whose
    brand queries they are matched against (None: every tenant's)."""

    id: str
    kind: str
    tenants: set[str] | None


class Source(Origin, Protocol):
    """One configured, polled source. `poll` raises SourceError on any failure of its own."""

    interval_s: float

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched: ...


@runtime_checkable
class Observing(Protocol):
    """Can look posts up by id: their current engagement, for re-observation."""

    async def observe(self, client: SafeClient, native_ids: list[str]) -> list[FeedItem]: ...


@runtime_checkable
class Completing(Protocol):
    """Completes a matched item (called for matched items only, once per item)."""

    async def complete(self, client: SafeClient, item: FeedItem) -> FeedItem: ...


@runtime_checkable
class Watched(Protocol):
    """No new item for `silent_after_s` (None: never) → source_silent."""

    silent_after_s: float | None


class _SourceSettings(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def poll_interval_s(self) -> float: ...

    @property
    def tenants(self) -> list[str] | None: ...

    @property
    def silent_after_s(self) -> float | None: ...


S = TypeVar("S", bound=_SourceSettings)


class ConfiguredSource(Generic[S]):
    """What every polled source keeps of its settings (its `Source` and `Watched`
    attributes)."""

    def __init__(self, settings: S) -> None:
        self.settings = settings
        self.id = settings.id
        self.interval_s = settings.poll_interval_s
        self.tenants = set(settings.tenants) if settings.tenants else None
        self.silent_after_s = settings.silent_after_s
