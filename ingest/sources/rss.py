"""RSS/Atom source: feedparser over httpx, with conditional GET (ETag, Last-Modified) and a
cap on the bytes read. Entries already emitted are skipped across polls (see IngestWorker)."""

import calendar
import logging
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx

from ingest.normalize import clean_text
from ingest.sources.base import FeedItem, SourceError
from schemas.config import RssSource

log = logging.getLogger(__name__)


class RssFeed:
    kind = "rss"

    def __init__(self, settings: RssSource, client: httpx.Client) -> None:
        self.settings = settings
        self.id = settings.id
        self.interval_s = settings.poll_interval_s
        self.tenants = set(settings.tenants) if settings.tenants else None
        self._client = client
        self._etag: str | None = None
        self._last_modified: str | None = None

    def poll(self) -> list[FeedItem]:
        body = self._fetch()
        if body is None:
            return []
        parsed = feedparser.parse(body)
        if parsed.bozo and not parsed.entries:
            raise SourceError(f"{self.id}: not a feed: {parsed.get('bozo_exception')}")
        items = [item for entry in parsed.entries if (item := self._item(entry)) is not None]
        return items

    def _fetch(self) -> bytes | None:
        headers = {}
        if self._etag:
            headers["If-None-Match"] = self._etag
        if self._last_modified:
            headers["If-Modified-Since"] = self._last_modified
        try:
            with self._client.stream(
                "GET", self.settings.url, headers=headers, timeout=self.settings.timeout_s
            ) as response:
                if response.status_code == 304:
                    return None
                if response.status_code != 200:
                    raise SourceError(f"{self.id}: HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.settings.max_bytes:
                        raise SourceError(
                            f"{self.id}: feed larger than {self.settings.max_bytes} B"
                        )
                self._etag = response.headers.get("ETag")
                self._last_modified = response.headers.get("Last-Modified")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise SourceError(f"{self.id}: {type(exc).__name__}: {exc}") from None

    def _item(self, entry: Any) -> FeedItem | None:
        native_id = entry.get("id") or entry.get("link")
        content = entry.get("content") or []
        html = content[0].get("value") if content else entry.get("summary", "")
        text = clean_text(html or "")
        title = clean_text(entry.get("title", "")) or None
        if not native_id or not (text or title):
            log.info("%s: entry without id or text skipped", self.id)
            return None
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = (
            datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else datetime.now(UTC)
        )
        return FeedItem(
            native_id=str(native_id),
            url=entry.get("link"),
            title=title,
            text=text or title or "",
            author_name=entry.get("author"),
            author_handle=None,
            published_at=published,
            lang=self.settings.lang,
        )
