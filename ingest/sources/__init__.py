"""Sources: one module each. A source's `poll(client, cursor)` returns a Fetched batch or
raises SourceError (see base.py); `build_sources` makes them from the `sources:` section."""

from collections.abc import Callable, Sequence
from typing import Any

from ingest.sources.base import Source
from ingest.sources.blog import BlogFeed
from ingest.sources.bluesky import BlueskySearch
from ingest.sources.facebook import FacebookPageComments
from ingest.sources.mastodon import MastodonTimeline
from ingest.sources.reddit import RedditListing
from ingest.sources.replay import JsonlReplay
from ingest.sources.rss import RssFeed
from ingest.sources.x import XRecentSearch
from ingest.sources.youtube import YouTubeComments
from schemas.config import AnySourceSettings

BY_TYPE: dict[str, Callable[[Any], Source]] = {
    "rss": RssFeed,
    "blog": BlogFeed,
    "mastodon": MastodonTimeline,
    "bluesky": BlueskySearch,
    "reddit": RedditListing,
    "x": XRecentSearch,
    "youtube": YouTubeComments,
    "facebook": FacebookPageComments,
    "replay": JsonlReplay,
}


def build_sources(settings: Sequence[AnySourceSettings]) -> list[Source]:
    return [BY_TYPE[item.type](item) for item in settings]
