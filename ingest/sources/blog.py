"""Blog: a blog's HTML page, whose feed is found by autodiscovery (`<link rel="alternate"
type="application/rss+xml|atom+xml">`), then polled as RSS/Atom with conditional GET.

Cursor {"feed_url", "etag", "last_modified"}: discovery runs once and again only when the
feed stops answering (404/410). `complete(item)` fetches the article page of an entry that
carried only a summary and returns it with the article's text (ingest.extract); the worker
calls it for matched entries only, so a blog's unrelated posts are never downloaded.
"""

import logging
from dataclasses import replace

from ingest.extract import article_text, feed_links
from ingest.http import FetchError, Response, SafeClient
from ingest.sources.base import ConfiguredSource, Cursor, FeedItem, Fetched, SourceError
from ingest.sources.rss import parse_feed
from schemas.config import BlogSourceSettings

log = logging.getLogger(__name__)


class BlogFeed(ConfiguredSource[BlogSourceSettings]):
    kind = "blog"

    async def _get(
        self, client: SafeClient, url: str, headers: dict[str, str] | None = None
    ) -> Response:
        return await client.get(
            url,
            headers=headers,
            timeout_s=self.settings.timeout_s,
            max_bytes=self.settings.max_bytes,
        )

    async def discover(self, client: SafeClient) -> str:
        page = await self._get(client, self.settings.url)
        links = feed_links(page.body.decode("utf-8", "replace"), page.url)
        if not links:
            raise SourceError(f'no feed advertised (<link rel="alternate">) on {page.url}')
        return links[0]

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        feed_url = cursor.get("feed_url") or await self.discover(client)
        headers = {}
        if cursor.get("feed_url") and cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("feed_url") and cursor.get("last_modified"):
            headers["If-Modified-Since"] = cursor["last_modified"]
        try:
            response = await self._get(client, feed_url, headers)
        except FetchError as exc:
            if str(exc).startswith(("HTTP 404", "HTTP 410")) and cursor.get("feed_url"):
                return Fetched([], {})  # the feed moved: discover again next poll
            raise
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
            "feed_url": feed_url,
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
        }
        return Fetched(items, {k: v for k, v in new_cursor.items() if v})

    async def complete(self, client: SafeClient, item: FeedItem) -> FeedItem:
        """The item with its article's full text, if it had only a summary."""
        if not self.settings.fetch_full_text or not item.extra.get("summary_only") or not item.url:
            return item
        try:
            page = await self._get(client, item.url)
        except FetchError as exc:
            log.warning("%s: article %s not fetched, summary kept: %s", self.id, item.url, exc)
            return item
        text = article_text(page.body)  # bytes: decoded from the page's own charset
        return replace(item, text=text) if len(text) > len(item.text) else item
