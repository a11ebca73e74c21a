"""Mentions as rows an analyst reads: a table on a terminal, CSV, JSON lines. Text from posts
goes through runtime.display, so no post can rewrite the analyst's terminal."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from runtime.display import safe_line

COLUMNS = ("published_at", "sentiment", "score", "virality", "author", "brands", "source",
           "url", "text")  # fmt: skip


def row(source: dict[str, Any]) -> dict[str, Any]:
    """The flat row of one indexed mention."""
    return {
        "published_at": source["published_at"],
        "sentiment": source["sentiment"]["label"],
        "score": source["sentiment"]["score"],
        "virality": source["virality"]["score"],
        "author": (source.get("author") or {}).get("handle") or "",
        "brands": " ".join(source.get("brands", [])),
        "source": source["source"],
        "url": source.get("url") or "",
        "text": source["text"],
    }


def csv_lines(sources: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A header, then one CSV line per mention (streamable)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for source in sources:
        writer.writerow({k: (safe_line(v) if isinstance(v, str) else v)
                         for k, v in row(source).items()})  # fmt: skip
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def json_lines(sources: Iterable[dict[str, Any]]) -> Iterator[str]:
    for source in sources:
        yield json.dumps(source, ensure_ascii=False) + "\n"


def table_lines(sources: Iterable[dict[str, Any]], width: int = 70) -> Iterator[str]:
    yield f"{'published_at':<20}  {'sentiment':<8}  {'vir':>5}  {'author':<16}  text\n"
    for source in sources:
        r = row(source)
        yield (f"{r['published_at'][:19]:<20}  {r['sentiment']:<8}  {r['virality']:>5.1f}  "
               f"{safe_line(r['author'], 16):<16}  {safe_line(r['text'], width)}\n")  # fmt: skip
