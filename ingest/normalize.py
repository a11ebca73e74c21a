"""Normalisation: FeedItem → Mention (text and URL forms are in ingest.text)."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from ingest.matcher import Match
from ingest.sources.base import FeedItem
from ingest.text import canonical_url
from schemas.mention import Author, Engagement, Mention, post_mention_id


def identity_url(item: FeedItem, url: str | None) -> str | None:
    """The canonical URL when it identifies the item, else None (the native id decides): the
    source said it does not (`url_identifies`: shared by items of its feed, or the feed's own
    site), or it is a site's home page (no path, no query), which never names one post."""
    if url is None or not item.url_identifies:
        return None
    parts = urlsplit(url)
    return None if parts.path in ("", "/") and not parts.query else url


def to_mention(
    item: FeedItem, source: str, source_kind: str, match: Match, fetched_at: datetime
) -> Mention:
    """One tenant's Mention of a fetched item (one per matched tenant: never shared). Its id
    comes from the canonical URL when it identifies the item (`identity_url`), else from the
    native id (see schemas.mention.post_mention_id)."""
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
        id=post_mention_id(match.tenant, source, item.native_id, identity_url(item, url)),
        tenant=match.tenant,
        brands=list(match.brands),
        queries=list(match.queries),
        source=source,
        source_kind=source_kind,
        native_id=item.native_id,
        url=url,
        author=Author(
            id=item.author_id,
            handle=item.author_handle,
            name=item.author_name,
            followers=followers if followers is not None and followers >= 0 else None,
        ),
        title=item.title,
        text=item.text,
        lang=item.lang,
        lang_origin=item.lang_origin,
        lang_confidence=item.lang_confidence,
        published_at=published,
        published_at_known=item.published_known,
        fetched_at=fetched_at,
        engagement=engagement,
        reshared_by=item.reshared_by,
        in_reply_to=item.in_reply_to,
    )
