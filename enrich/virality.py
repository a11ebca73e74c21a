"""Virality score in [0, 100], with its components (first version: reach and engagement).

    reach       = min(1, log10(1 + followers) / 7)          # 10 M followers → 1
    engagement  = min(1, log10(1 + likes + 2·reposts + replies) / 5)   # 100 k → 1
    score       = 100 · (0.4 · reach + 0.6 · engagement)

Reposts weigh double: they carry the post to new audiences. Velocity (change between
observations) and near-duplicate cluster growth join in the enrich issue.
"""

import math

from schemas.enriched import Virality
from schemas.mention import Mention

REACH_WEIGHT = 0.4
ENGAGEMENT_WEIGHT = 0.6


def virality(mention: Mention) -> Virality:
    followers = mention.author.followers or 0
    reach = min(1.0, math.log10(1 + followers) / 7)
    interactions = 0
    if mention.engagement is not None:
        e = mention.engagement
        interactions = e.likes + 2 * e.reposts + e.replies
    engagement = min(1.0, math.log10(1 + interactions) / 5)
    score = 100 * (REACH_WEIGHT * reach + ENGAGEMENT_WEIGHT * engagement)
    return Virality(
        score=round(score, 3),
        components={"reach": round(reach, 4), "engagement": round(engagement, 4)},
    )
