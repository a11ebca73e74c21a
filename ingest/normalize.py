"""Normalisation: clean text out of HTML, canonical URLs, FeedItem → Mention."""

import html
import re
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.matcher import Match
from ingest.sources.base import FeedItem
from schemas.mention import Author, Mention, mention_id

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|igshid|ref_src)$")
_SPACES = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def clean_text(markup: str) -> str:
    """Visible text of an HTML fragment: tags and scripts dropped, entities unescaped."""
    if "<" not in markup and "&" not in markup:
        return _SPACES.sub(" ", markup).strip()
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return _SPACES.sub(" ", html.unescape("".join(extractor.parts))).strip()


def canonical_url(url: str | None) -> str | None:
    """The URL without tracking parameters or fragment, scheme and host lower-cased."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]  # fmt: skip
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, urlencode(query), "")
    )


def to_mention(
    item: FeedItem, source: str, source_kind: str, match: Match, fetched_at: datetime
) -> Mention:
    """One tenant's Mention of a fetched item (one per matched tenant: never shared)."""
    return Mention(
        id=mention_id(match.tenant, source, item.native_id),
        tenant=match.tenant,
        brands=list(match.brands),
        queries=list(match.queries),
        source=source,
        source_kind=source_kind,
        native_id=item.native_id,
        url=canonical_url(item.url),
        author=Author(handle=item.author_handle, name=item.author_name),
        title=item.title,
        text=item.text,
        lang=item.lang,
        published_at=item.published_at,
        fetched_at=fetched_at,
    )
