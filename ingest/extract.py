"""Article text and feed links out of HTML pages (the blog source).

`article_text`: the main text of an article page, short posts included, through trafilatura
(a maintained boilerplate remover: navigation, headers, footers, asides, share bars, related
links and scripts dropped; a page's comment section is kept, as trafilatura does by default,
since a reader's comment may name the brand). Bytes are decoded by trafilatura from the page's own
declaration, then by detection. A page trafilatura finds no main text in gets its baseline
(the `<article>`, else the paragraphs, else the body's text); a page that is not HTML at all,
"". Whitespace is collapsed to single spaces: the text is for brand matching and sentiment,
not display. Measured against the former stdlib extractor by `bench/bench_extract.py`.
`feed_links`: the `<link rel="alternate">` RSS/Atom URLs a page advertises, absolute.
"""

import logging
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import trafilatura
from trafilatura.settings import use_config

_SPACES = re.compile(r"\s+")
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}

logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it warns on every odd page
_CONFIG = use_config()
_CONFIG.set("DEFAULT", "min_extracted_size", "1")  # a short post is still an article


def article_text(html: str | bytes) -> str:
    """The article's main text, whitespace collapsed ("" when the page holds none)."""
    text = trafilatura.extract(html, output_format="txt", with_metadata=False, config=_CONFIG)
    if not text:
        _, text, _ = trafilatura.baseline(html)
    return _SPACES.sub(" ", text or "").strip()


class _FeedLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.feeds: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        found = {k: (v or "") for k, v in attrs}
        rel = found.get("rel", "").lower().split()
        if "alternate" in rel and found.get("type", "").lower() in _FEED_TYPES:
            self.feeds.append((found.get("type", ""), found.get("href", "")))


def feed_links(html: str, base_url: str) -> list[str]:
    """Advertised feeds, RSS/Atom first, as absolute URLs (an href that is not a URL, such
    as `http://[::1`, is left out)."""
    parser = _FeedLinks()
    parser.feed(html)
    parser.close()
    ordered = sorted(parser.feeds, key=lambda f: f[0] == "application/feed+json")
    return [url for _, href in ordered if href and (url := _absolute(base_url, href))]


def _absolute(base_url: str, href: str) -> str | None:
    try:
        return urljoin(base_url, href)
    except ValueError:
        return None
