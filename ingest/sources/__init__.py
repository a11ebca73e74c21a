"""Sources: one module each. A source's `poll(client, cursor)` returns a Fetched batch or
raises SourceError (see base.py); `build_sources` makes them from the `sources:` section."""

from collections.abc import Sequence

from ingest.sources.base import Source
from ingest.sources.rss import RssFeed
from schemas.config import Source as SourceSettings


def build_sources(settings: Sequence[SourceSettings]) -> list[Source]:
    built: list[Source] = []
    for item in settings:
        if item.type == "rss":
            built.append(RssFeed(item))
        else:  # pragma: no cover - the config's discriminator admits only known types
            raise ValueError(f"unknown source type {item.type!r}")
    return built
