"""RSS/Atom source: feedparser over SafeClient, conditional GET, hardened against bad feeds.

Cursor: {"etag", "last_modified"}, committed only once the batch is durable, so a feed whose
mentions could not be produced is fetched whole again (not answered 304). Entries already
emitted are skipped by the worker (seen ids survive restarts: ingest.cursors).

Bad input, each a SourceError naming the cause (the worker logs it; other sources go on):
a body over `max_bytes` (never buffered whole), a document declaring XML entities, a body
that is not a feed at all. Encoding: the HTTP charset, then the document's declaration,
then a fallback (ingest.sources.feed_bytes). A malformed but readable feed is logged and
its entries kept.

What an entry becomes (`entry_item`): native id = guid, else the link, else a digest of its
title, text and date (an item with neither is still a post); URL = its link, resolved
against the feed's URL; `url_identifies` is False when several entries share the link or it
is the feed's own site (podcasts linking every episode to the home page): the guid decides
then. Text: content, else summary, markup removed (twice, for double-escaped HTML). Author:
the name of "email (Name)". Date: published, else updated, read by feedparser or, for
localised names (`Seg, 24 Set 2018`), by ingest.dates; none readable → `published_known`
False. Language: the entry's `xml:lang`, else the feed's `<language>`/`xml:lang`, else
detected, else the configured `lang` (ingest.language).
"""

import calendar
import hashlib
import logging
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import feedparser

from ingest.dates import parse_date
from ingest.http import SafeClient
from ingest.language import declared_code, resolve_language
from ingest.sources.base import ConfiguredSource, Cursor, FeedItem, Fetched, SourceError
from ingest.sources.feed_bytes import checked_feed_bytes
from ingest.text import canonical_url, clean_text, resolve_link
from schemas.config import RssSourceSettings

log = logging.getLogger(__name__)


def parse_feed(
    source_id: str,
    body: bytes,
    lang: str | None,
    *,
    url: str = "",
    content_type: str | None = None,
) -> list[FeedItem]:
    """Entries of an RSS/Atom document fetched from `url` as FeedItems; SourceError if it is
    not a feed. `lang`: the configured fallback language."""
    # No content-location: feedparser would resolve relative guids ("t3_1b4k2qz") against
    # it and change native ids; links are resolved here instead (entry_item).
    headers = {"content-type": content_type or "application/xml"}  # none: the XML rules
    try:
        parsed = feedparser.parse(
            checked_feed_bytes(source_id, body, content_type),
            sanitize_html=False,
            response_headers=headers,
        )
    except ValueError as exc:  # feedparser's own: e.g. '&#x110000;' (chr() out of range)
        raise SourceError(f"not a readable feed: {type(exc).__name__}: {exc}") from None
    if parsed.bozo and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise SourceError(f"not a feed: {type(problem).__name__}: {problem}")
    if parsed.bozo:
        log.warning("%s: malformed feed read leniently: %s", source_id, parsed.bozo_exception)
    feed = parsed.feed
    feed_lang = declared_code(feed.get("language")) or declared_code(
        (feed.get("title_detail") or {}).get("language")
    )
    site = canonical_url(resolve_link(url, feed.get("link")))
    links = Counter(canonical_url(resolve_link(url, e.get("link"))) for e in parsed.entries)
    items = []
    for entry in parsed.entries:
        item = entry_item(source_id, entry, url, lang, feed_lang)
        if item is None:
            continue
        link = canonical_url(item.url)
        if link is None or link == site or links[link] > 1:
            item = replace(item, url_identifies=False)
        items.append(item)
    return items


def _entry_lang(entry: Any) -> str | None:
    content = entry.get("content") or []
    for detail in (*content, entry.get("summary_detail"), entry.get("title_detail")):
        if detail and (code := declared_code(detail.get("language"))):
            return code
    return None


def _author(entry: Any) -> str | None:
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author")
    return clean_text(name) or None if name else None


def _published(entry: Any) -> datetime | None:
    # dict.get: feedparser's own get maps a missing published_parsed to updated (deprecated)
    stamp = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if stamp:
        return datetime.fromtimestamp(calendar.timegm(stamp), UTC)
    return parse_date(entry.get("published")) or parse_date(entry.get("updated"))


def entry_item(
    source_id: str, entry: Any, feed_url: str, lang: str | None, feed_lang: str | None = None
) -> FeedItem | None:
    content = entry.get("content") or []
    markup = content[0].get("value") if content else entry.get("summary", "")
    text = clean_text(markup or "")
    title = clean_text(entry.get("title", "")) or None
    if not (text or title):
        log.info("%s: entry without text skipped", source_id)
        return None
    link = resolve_link(feed_url, entry.get("link"))
    published = _published(entry)
    native_id = entry.get("id") or link
    if not native_id:  # neither guid nor link: the content names it
        seed = f"{title or ''}\x1f{text}\x1f{entry.get('published') or entry.get('updated') or ''}"
        native_id = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()[:32]
    language = resolve_language(_entry_lang(entry) or feed_lang, f"{title or ''} {text}", lang)
    return FeedItem(
        native_id=str(native_id)[:1000],
        url=link,
        title=title,
        text=text or title or "",
        author_name=_author(entry),
        author_handle=None,
        published_at=published or datetime.now(UTC),
        published_known=published is not None,
        lang=language.lang,
        lang_origin=language.origin,
        lang_confidence=language.confidence,
        extra={"summary_only": not content},
    )


class RssFeed(ConfiguredSource[RssSourceSettings]):
    kind = "rss"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        headers = {}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("last_modified"):
            headers["If-Modified-Since"] = cursor["last_modified"]
        response = await client.get(
            self.settings.url,
            headers=headers,
            timeout_s=self.settings.timeout_s,
            max_bytes=self.settings.max_bytes,
        )
        if response.status == 304:
            return Fetched([], cursor)
        items = parse_feed(
            self.id,
            response.body,
            self.settings.lang,
            url=response.url,
            content_type=response.headers.get("Content-Type"),
        )
        new_cursor = {
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
        }
        return Fetched(items, {k: v for k, v in new_cursor.items() if v})
