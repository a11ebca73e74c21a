"""Normalisation: clean text out of HTML, canonical URLs, FeedItem → Mention."""

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.matcher import Match
from ingest.sources.base import FeedItem
from schemas.mention import Author, Engagement, Mention, post_mention_id

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|ref_src|ref_url|_hsenc|_hsmi"
    r"|yclid|twclid|s_cid|cmpid|xtor|at_medium|at_campaign|spm|si)$",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in ("br", "p", "div", "li", "h1", "h2", "h3", "h4", "tr", "td", "blockquote"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "td", "blockquote"):
            self.parts.append(" ")

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
    """The URL without tracking parameters, fragment or default port; scheme and host
    lower-cased; `http(s)://` only (anything else is not a post's address: None)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return None
    netloc = parts.netloc.lower().removesuffix(_DEFAULT_PORTS[scheme])
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


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
