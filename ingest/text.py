"""Text and URL normal forms every source and the normaliser share: visible text of an HTML
fragment, canonical URLs. Imports nothing of ingest, so sources and ingest.normalize can both
use it (ingest.normalize imports ingest.sources: the other way round was a cycle)."""

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

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


_MARKUP = re.compile(r"<(?:!--|/?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>)")


def _visible(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return html.unescape("".join(extractor.parts))


def clean_text(markup: str) -> str:
    """Visible text of an HTML fragment: tags and scripts dropped, entities unescaped. Text
    that is still markup after one pass (HTML escaped twice, as Reddit's feeds carry
    `&lt;!-- SC_OFF --&gt;&lt;div class="md"&gt;`) gets a second pass."""
    if "<" not in markup and "&" not in markup:
        return _SPACES.sub(" ", markup).strip()
    text = _visible(markup)
    if _MARKUP.search(text):
        text = _visible(text)
    return _SPACES.sub(" ", text).strip()


def canonical_url(url: str | None) -> str | None:
    """The URL without tracking parameters, fragment or default port; scheme and host
    lower-cased; `http(s)://` only (anything else is not a post's address: None)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. 'http://[::1' (an unclosed IPv6 literal)
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return None
    netloc = parts.netloc.lower().removesuffix(_DEFAULT_PORTS[scheme])
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def resolve_link(base: str, link: str | None) -> str | None:
    """`link` made absolute against `base`; None for no link or one that is not a URL."""
    if not link:
        return None
    try:
        return urljoin(base, link)
    except ValueError:  # e.g. 'http://[::1' (an unclosed IPv6 literal)
        return None
