"""Mention: one post, article or comment that matched a tenant's brand queries (topic mentions.raw).

Contract: one Mention belongs to exactly one tenant. A post that matches brands of two
tenants becomes two Mentions with two ids, so no record ever carries another client's data.
"""

import hashlib
from typing import Literal

from pydantic import Field, NonNegativeInt

from schemas._base import UtcDatetime, WireModel

MENTION_SCHEMA_VERSION: Literal[1] = 1
LangOrigin = Literal["declared", "detected", "configured"]


def mention_id(tenant: str, source: str, native_id: str) -> str:
    """Stable id of a mention: the same (tenant, source, native id) always gives the same id."""
    digest = hashlib.sha256(f"{tenant}\x1f{source}\x1f{native_id}".encode()).hexdigest()
    return digest[:32]


def post_mention_id(tenant: str, source: str, native_id: str, canonical_url: str | None) -> str:
    """Id of a tenant's mention of one post, the same through every source that reaches it.

    `canonical_url` is given only when it identifies the post: the item's own permalink,
    distinct within its feed and not the feed's site or a site's home page (ingest.normalize
    decides; a podcast whose episodes all link to its home page passes None, or its 130
    episodes would be one mention). With a canonical URL (tracking parameters stripped), the id is
    derived from (tenant, URL): a Mastodon status read from the API and from an RSS feed, or
    a Reddit post found by search and in a subreddit listing, is one mention. Without one, it
    is `mention_id(tenant, source, native_id)`. Both are scoped by tenant on purpose: two
    clients of an agency never share a record, even for the same post.
    """
    if not canonical_url:
        return mention_id(tenant, source, native_id)
    digest = hashlib.sha256(f"{tenant}\x1furl\x1f{canonical_url}".encode()).hexdigest()
    return digest[:32]


class Author(WireModel):
    id: str | None = Field(default=None, description="the account's id at its source, if known")
    handle: str | None = None
    name: str | None = None
    followers: NonNegativeInt | None = None


class Engagement(WireModel):
    """Engagement counts as observed at `observed_at` (they change; virality needs the time)."""

    likes: NonNegativeInt = 0
    reposts: NonNegativeInt = 0
    replies: NonNegativeInt = 0
    observed_at: UtcDatetime


class Mention(WireModel):
    schema_version: Literal[1] = MENTION_SCHEMA_VERSION
    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    tenant: str = Field(min_length=1)
    brands: list[str] = Field(min_length=1, description="ids of the tenant's brands it matched")
    queries: list[str] = Field(default_factory=list, description="ids of the queries it matched")
    source: str = Field(min_length=1, description="id of the configured source")
    source_kind: str = Field(min_length=1, description="rss, blog, mastodon, replay, …")
    native_id: str = Field(min_length=1, description="the item's id at its source")
    url: str | None = None
    author: Author = Field(default_factory=Author)
    title: str | None = None
    text: str = Field(min_length=1)
    lang: str | None = None
    lang_origin: LangOrigin | None = Field(
        default=None,
        description="declared by the source or feed; detected from the text (lang_confidence"
        " says how sure); the source's configured fallback; None: unknown or an older message",
    )
    lang_confidence: float | None = Field(
        default=None, ge=0, le=1, description="the detector's confidence, when detected"
    )
    published_at: UtcDatetime
    published_at_known: bool = Field(
        default=True,
        description="False: the source gave no readable date and published_at is the fetch"
        " time. Consumers that count by event time must skip such a mention: the alert"
        " detector must not count it in a bucket (it is a backlog item, not a spike now).",
    )
    fetched_at: UtcDatetime
    engagement: Engagement | None = None
    reshared_by: Author | None = Field(
        default=None, description="who reshared it when read through a reshare (its reach)"
    )
    in_reply_to: str | None = Field(
        default=None, description="native id, at the same source, of the post it answers"
    )


class PostCounts(WireModel):
    likes: NonNegativeInt = 0
    reposts: NonNegativeInt = 0
    replies: NonNegativeInt = 0


class IncomingPost(WireModel):
    """A post handed to veille by a data provider: one JSON object of `POST /ingest/{tenant}`
    (or a list of them), or one line of a replay JSONL file. veille matches it against the
    brand queries like any fetched item; `id` is the post's id at its origin."""

    id: str = Field(min_length=1, max_length=1000)
    url: str | None = None
    title: str | None = None
    text: str = Field(min_length=1)
    author: Author = Field(default_factory=Author)
    published_at: UtcDatetime
    lang: str | None = None
    engagement: PostCounts | None = None
