"""Virality score in [0, 100], with its components. Pure functions: no clock, no I/O.

Components, each in [0, 1]:

    reach        = min(1, log10(1 + followers) / 7)                      # 10 M followers → 1
    engagement   = min(1, log10(1 + I) / 5)                              # 100 k → 1
    velocity     = min(1, log10(1 + v) / 3)                              # 1,000 /min → 1
    cluster      = min(1, log10(1 + g) / log10(1 + 200))                 # 200 copies → 1

    I = likes + 2·reposts + replies            (reposts carry the post to new audiences)
    v = max(0, ΔI) / Δminutes between two observations of the same mention id
    g = near-duplicates that joined the mention's cluster within the growth window (the
        mention itself excluded), from `enrich.clusters`

    score = 100 · source_weight · (0.25·reach + 0.25·engagement + 0.3·velocity + 0.2·cluster)

`source_weight` ∈ [0, 1] comes from `enrich.virality.source_weights[source_kind]` (default
`enrich.virality.default_source_weight`, 1.0): a press article and an anonymous forum post with
the same numbers need not weigh the same.

Velocity is *unknown* (`velocity_per_minute = None`, component 0) for the first observation of
a mention id that this worker sees, and for an observation older than the last one it kept.
See `EngagementHistory` for where previous observations come from.
"""

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from schemas.enriched import Virality
from schemas.mention import Engagement, Mention

WEIGHTS = {"reach": 0.25, "engagement": 0.25, "velocity": 0.3, "cluster": 0.2}
CLUSTER_SATURATION = 200


@dataclass(frozen=True)
class Observation:
    """Engagement counts of one mention id at `observed_at`, and the velocity computed then."""

    interactions: int
    observed_at: datetime
    velocity_per_minute: float | None


def interactions(engagement: Engagement) -> int:
    return engagement.likes + 2 * engagement.reposts + engagement.replies


def velocity_per_minute(previous: Observation | None, current: Engagement) -> float | None:
    """Weighted interactions gained per minute since `previous`; None when it cannot be known.

    The same observation seen again (redelivery, retried batch) gives the velocity computed the
    first time, so re-enriching a message yields the same score. Counts that drop (deleted
    likes) give 0, not a negative velocity.
    """
    if previous is None or current.observed_at < previous.observed_at:
        return None
    if current.observed_at == previous.observed_at:
        return previous.velocity_per_minute
    minutes = (current.observed_at - previous.observed_at).total_seconds() / 60
    return max(0, interactions(current) - previous.interactions) / minutes


class EngagementHistory:
    """The last observation of each mention id, bounded to `max_ids` (least recently seen go).

    Why in memory rather than looked up in Elasticsearch: the raw topic is keyed by tenant, and
    a mention id belongs to one tenant, so every observation of an id reaches the same
    partition, hence the same enrich worker, in order; a look-up would cost a round trip per
    mention and would read the index *behind* the indexer (the previous observation may not be
    indexed yet). The price, stated: after a restart, a rebalance that moves the partition, or
    the eviction of an id that has been quiet longer than `max_ids` other ids, the next
    observation of that id has an unknown velocity (None), and the one after it is measured
    again.
    """

    def __init__(self, max_ids: int) -> None:
        self._max_ids = max_ids
        self._last: OrderedDict[str, Observation] = OrderedDict()

    def __len__(self) -> int:
        return len(self._last)

    def observe(self, mention_id: str, engagement: Engagement) -> float | None:
        """Record `engagement` for `mention_id`; return its velocity (None when unknown)."""
        previous = self._last.get(mention_id)
        velocity = velocity_per_minute(previous, engagement)
        if previous is None or engagement.observed_at > previous.observed_at:
            self._last[mention_id] = Observation(
                interactions(engagement), engagement.observed_at, velocity
            )
        if mention_id in self._last:
            self._last.move_to_end(mention_id)
        while len(self._last) > self._max_ids:
            self._last.popitem(last=False)
        return velocity


def _log_scale(value: float, saturation: float) -> float:
    return min(1.0, math.log10(1 + max(0.0, value)) / math.log10(1 + saturation))


def virality(
    mention: Mention,
    velocity: float | None = None,
    cluster_growth: int = 0,
    source_weight: float = 1.0,
) -> Virality:
    """The score of `mention` given its velocity (None = unknown) and its cluster's growth."""
    followers = mention.author.followers or 0
    engaged = interactions(mention.engagement) if mention.engagement is not None else 0
    components = {
        "reach": _log_scale(followers, 10**7),
        "engagement": _log_scale(engaged, 10**5),
        "velocity": _log_scale(velocity or 0.0, 10**3),
        "cluster": _log_scale(cluster_growth, CLUSTER_SATURATION),
    }
    weighted = sum(WEIGHTS[name] * value for name, value in components.items())
    score = min(100.0, 100 * max(0.0, min(1.0, source_weight)) * weighted)
    return Virality(
        score=round(score, 3),
        components={name: round(value, 4) for name, value in components.items()}
        | {"source_weight": source_weight},
        velocity_per_minute=None if velocity is None else round(velocity, 4),
        cluster_growth=cluster_growth,
    )
