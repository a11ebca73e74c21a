"""RSS/Atom source: feedparser over SafeClient, conditional GET, hardened against bad feeds.

Cursor: {"etag", "last_modified"}, committed only once the batch is durable, so a feed whose
mentions could not be produced is fetched whole again (not answered 304). Entries already
emitted are skipped by the worker (seen ids survive restarts: ingest.cursors).

Bad input, each a SourceError naming the cause (the worker logs it; other sources go on):
a body over `max_bytes` (never buffered whole), a document declaring XML entities (refused
before parsing: entity-expansion bombs; expat's amplification limit is a second guard), a
body that is not a feed at all. Recoverable problems are logged and the entries kept:
invalid UTF-8 (bytes replaced, position logged), a malformed but readable feed.
"""

import calendar
import logging
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from ingest.http import SafeClient
from ingest.sources.base import ConfiguredSource, Cursor, FeedItem, Fetched, SourceError
from ingest.text import clean_text
from schemas.config import RssSourceSettings

log = logging.getLogger(__name__)

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([\w.-]+)", re.IGNORECASE)


def checked_feed_bytes(source_id: str, body: bytes) -> bytes:
    """The body, refused if it declares entities; invalid UTF-8 replaced (and logged)."""
    probe = body
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        probe = body.decode("utf-16", "replace").encode("utf-8")
    if _ENTITY_DECLARATION.search(probe):
        raise SourceError("document declares XML entities: refused (entity-expansion bomb?)")
    declared = _DECLARED_ENCODING.match(probe[:200])
    encoding = declared.group(1).decode().lower() if declared else "utf-8"
    if encoding in ("utf-8", "utf8") and probe is body:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            log.warning(
                "%s: invalid UTF-8 at byte %d (%s): bytes replaced",
                source_id,
                exc.start,
                exc.reason,
            )
            return body.decode("utf-8", "replace").encode("utf-8")
    return probe


def parse_feed(source_id: str, body: bytes, lang: str | None) -> list[FeedItem]:
    """Entries of an RSS/Atom document as FeedItems; SourceError if it is not a feed."""
    parsed = feedparser.parse(checked_feed_bytes(source_id, body), sanitize_html=False)
    if parsed.bozo and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise SourceError(f"not a feed: {type(problem).__name__}: {problem}")
    if parsed.bozo:
        log.warning("%s: malformed feed read leniently: %s", source_id, parsed.bozo_exception)
    feed_lang = (parsed.feed.get("language") or "").split("-")[0].lower() or None
    return [i for e in parsed.entries if (i := entry_item(source_id, e, lang or feed_lang))]


def entry_item(source_id: str, entry: Any, lang: str | None) -> FeedItem | None:
    native_id = entry.get("id") or entry.get("link")
    content = entry.get("content") or []
    markup = content[0].get("value") if content else entry.get("summary", "")
    text = clean_text(markup or "")
    title = clean_text(entry.get("title", "")) or None
    if not native_id or not (text or title):
        log.info("%s: entry without id or text skipped", source_id)
        return None
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
    return FeedItem(
        native_id=str(native_id)[:1000],
        url=entry.get("link"),
        title=title,
        text=text or title or "",
        author_name=entry.get("author"),
        author_handle=None,
        published_at=published or datetime.now(UTC),
        lang=lang,
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
        items = parse_feed(self.id, response.body, self.settings.lang)
        new_cursor = {
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
        }
        return Fetched(items, {k: v for k, v in new_cursor.items() if v})
