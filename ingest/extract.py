"""Article text and feed links out of HTML pages (the blog source), with the stdlib parser.

`article_text`: the visible text of the page's `<article>` (else `<main>`, else `<body>`),
without scripts, styles, navigation, headers, footers, asides and forms — enough for brand
matching and sentiment; not a general-purpose boilerplate remover.
`feed_links`: the `<link rel="alternate">` RSS/Atom URLs a page advertises, absolute.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

_SPACES = re.compile(r"\s+")
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}
_SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
         "svg", "iframe", "button"}  # fmt: skip
_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "base", "col"}


class _Article(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[str]] = {"article": [], "main": [], "body": []}
        self._open: dict[str, int] = dict.fromkeys(self.parts, 0)
        self._skipping = 0
        self.feeds: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            found = {k: (v or "") for k, v in attrs}
            rel = found.get("rel", "").lower().split()
            if "alternate" in rel and found.get("type", "").lower() in _FEED_TYPES:
                self.feeds.append((found.get("type", ""), found.get("href", "")))
        if tag in _VOID:
            self._text(" ")
            return
        if tag in self._open:
            self._open[tag] += 1
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCKS:
            self._text(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._open.get(tag):
            self._open[tag] -= 1
        if tag in _SKIP and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCKS:
            self._text(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._text(data)

    def _text(self, data: str) -> None:
        for name, depth in self._open.items():
            if depth:
                self.parts[name].append(data)


def _parse(html: str) -> _Article:
    parser = _Article()
    parser.feed(html)
    parser.close()
    return parser


def article_text(html: str) -> str:
    parts = _parse(html).parts
    for name in ("article", "main", "body"):
        text = _SPACES.sub(" ", "".join(parts[name])).strip()
        if text:
            return text
    return ""


def feed_links(html: str, base_url: str) -> list[str]:
    """Advertised feeds, RSS/Atom first, as absolute URLs (an href that is not a URL, such
    as `http://[::1`, is left out)."""
    feeds = _parse(html).feeds
    ordered = sorted(feeds, key=lambda f: f[0] == "application/feed+json")
    return [url for _, href in ordered if href and (url := _absolute(base_url, href))]


def _absolute(base_url: str, href: str) -> str | None:
    try:
        return urljoin(base_url, href)
    except ValueError:
        return None
