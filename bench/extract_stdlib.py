"""The article extractor veille used before trafilatura (ingest/extract.py until issue 13),
kept only as bench_extract's baseline: the visible text of the page's `<article>` (else
`<main>`, else `<body>`), without scripts, styles, navigation, headers, footers, asides and
forms, with the stdlib HTML parser."""

import re
from html.parser import HTMLParser

_SPACES = re.compile(r"\s+")
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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
