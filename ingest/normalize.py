"""Normalisation: FeedItem → Mention (text and URL forms are in ingest.text)."""

from datetime import UTC, datetime

from ingest.matcher import Match
from ingest.sources.base import FeedItem
from ingest.text import canonical_url
from schemas.mention import Author, Engagement, Mention, post_mention_id


def to_mention(
    item: FeedItem, source: str, source_kind: str, match: Match, fetched_at: datetime
) -> Mention:
    """One tenant's Mention of a fetched item (one per matched tenant: never shared). Its id
    comes from the canonical URL when there is one (see schemas.mention.post_mention_id)."""
    url = canonical_url(item.url)
    engagement = None
    if item.engagement is not None:
        counts = item.engagement
        engagement = Engagement(
            likes=max(0, counts.likes),
            reposts=max(0, counts.reposts),
            replies=max(0, counts.replies),
            observed_at=fetched_at,
        )
    followers = item.author_followers
    published = item.published_at
    if published.tzinfo is None:  # a source's naive time: its APIs speak UTC
        published = published.replace(tzinfo=UTC)
    return Mention(
        id=post_mention_id(match.tenant, source, item.native_id, url),
        tenant=match.tenant,
        brands=list(match.brands),
        queries=list(match.queries),
        source=source,
        source_kind=source_kind,
        native_id=item.native_id,
        url=url,
        author=Author(
            handle=item.author_handle,
            name=item.author_name,
            followers=followers if followers is not None and followers >= 0 else None,
        ),
        title=item.title,
        text=item.text,
        lang=item.lang,
        published_at=published,
        fetched_at=fetched_at,
        engagement=engagement,
    )
