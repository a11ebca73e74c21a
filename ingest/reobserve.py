"""Engagement over time: recent posts observed again, produced as updates of the same id.

Two paths lead here. A listing that returns an already-emitted item (Facebook's lookback
window, a Mastodon page read again) goes through `engagement_updates` in the BatchAssembler.
And every `ingest.reobserve_interval_s`, the worker asks each Observing source (one that
looks posts up by id: Mastodon, Bluesky, Reddit, X, YouTube) for the current counts of what
it emitted within `ingest.engagement_horizon_h`; changed counts become updates. An update is
the stored mention with new `engagement` (and its `observed_at`): same id, so Elasticsearch
overwrites it and enrich can compute velocity.
"""

import logging
from datetime import datetime, timedelta

from ingest.cursors import CursorStore, SeenItem
from ingest.http import SafeClient
from ingest.sources.base import FeedItem, Observing, Source
from schemas.mention import Engagement, Mention

log = logging.getLogger(__name__)

MAX_PER_ROUND = 500


def counts(item: FeedItem) -> tuple[int, int, int] | None:
    e = item.engagement
    return None if e is None else (max(0, e.likes), max(0, e.reposts), max(0, e.replies))


def engagement_updates(
    item: FeedItem, seen: SeenItem, now: datetime, horizon: timedelta, store: CursorStore
) -> list[Mention]:
    """The item's emitted mentions with its new engagement, if it changed within the
    horizon; [] otherwise."""
    observed = counts(item)
    if observed is None or observed == seen.engagement or now - item.published_at > horizon:
        return []
    likes, reposts, replies = observed
    engagement = Engagement(likes=likes, reposts=reposts, replies=replies, observed_at=now)
    return [
        Mention.model_validate_json(e.mention_json).model_copy(update={"engagement": engagement})
        for e in store.emitted(seen.mention_ids).values()
    ]


def recent_native_ids(
    store: CursorStore, source: str, now: datetime, horizon: timedelta
) -> list[str]:
    recent = store.recent(source, (now - horizon).timestamp(), MAX_PER_ROUND)
    native = (Mention.model_validate_json(e.mention_json).native_id for e in recent)
    return list(dict.fromkeys(native))


async def observe(source: Source, client: SafeClient, native_ids: list[str]) -> list[FeedItem]:
    """The source's current view of `native_ids` ([] if it is not Observing)."""
    if not native_ids or not isinstance(source, Observing):
        return []
    return await source.observe(client, native_ids)
