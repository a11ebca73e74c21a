"""Each bad item dead-lettered once, then passed.

Two halves, both needed. A source's position cursor (Mastodon `min_id`, Reddit `before`,
Bluesky and YouTube `since`, X `since_id`) moves past the items it could not read as well as
the ones it could (each source reads the position out of the raw item, `raw_value`), so a
page made only of bad items never holds the cursor — nor blocks the items after it. And
sources that are served the same items again by design (YouTube's newest-first threads,
Facebook's lookback window, the overlap at a page boundary) remember in their cursor the
keys of the items they dead-lettered (`once`), so a bad item reaches the dead-letter topic
once, not at every poll. The cursor is committed only after the dead letters are durable, so
a failed delivery sends them again (at least once).
"""

import hashlib
import json
from typing import Any

from ingest.sources.base import Cursor

KEY = "dead_letters"
KEEP = 256  # keys remembered per source: a page or two of bad items, several polls back


def _key(raw: bytes) -> str:
    """The item's own id when its JSON has one (its counts may change between polls), else
    its bytes."""
    try:
        element = json.loads(raw)
    except ValueError:
        element = None
    if isinstance(element, dict):
        own = next(
            (element[k] for k in ("id", "name", "uri") if isinstance(element.get(k), str)), None
        )
        if own:
            return hashlib.sha256(own.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return hashlib.sha256(raw).hexdigest()[:24]


def once(
    cursor: Cursor, rejected: list[tuple[str, bytes]]
) -> tuple[list[tuple[str, bytes]], Cursor]:
    """The dead letters not sent from an earlier poll of this cursor, and the cursor entry
    that remembers them (empty when there is nothing to remember)."""
    known: list[str] = [k for k in cursor.get(KEY, []) if isinstance(k, str)]
    seen = set(known)
    fresh: list[tuple[str, bytes]] = []
    for reason, raw in rejected:
        key = _key(raw)
        if key not in seen:
            seen.add(key)
            known.append(key)
            fresh.append((reason, raw))
    return fresh, ({KEY: known[-KEEP:]} if known else {})


def raw_value(element: Any, *path: str) -> Any:
    """`element[path[0]][path[1]]…` of a raw JSON item, or None where the path breaks."""
    for name in path:
        if not isinstance(element, dict):
            return None
        element = element.get(name)
    return element
