"""Observation: the part of an enriched mention the detector reads.

Decoded straight from JSON lines by msgspec in replay (only these fields, ~1 µs a line), or
converted from an EnrichedMention in the live worker: both paths feed the same detector.
"""

from datetime import datetime

import msgspec

from schemas.enriched import EnrichedMention


# gc=False: these never form reference cycles, and a replay holds millions of them; left
# tracked, the cyclic garbage collector would walk them all again and again.
class SentimentPart(msgspec.Struct, gc=False):
    score: float
    label: str = "neutral"


class ViralityPart(msgspec.Struct, gc=False):
    score: float = 0.0


class ClusterPart(msgspec.Struct, gc=False):
    id: str


class AuthorPart(msgspec.Struct, gc=False):
    followers: int | None = None


class IntentPart(msgspec.Struct, gc=False):
    label: str


SERVICE_REQUEST = "service_request"


class Counted(msgspec.Struct, gc=False):
    """What the detector counts of a mention (no text: decodes faster, for replay columns)."""

    id: str
    tenant: str
    brands: tuple[str, ...]
    published_at: datetime
    sentiment: SentimentPart
    published_at_known: bool = True  # False: published_at is the fetch time, never counted
    virality: ViralityPart = msgspec.field(default_factory=ViralityPart)
    author: AuthorPart = msgspec.field(default_factory=AuthorPart)
    cluster: ClusterPart | None = None
    intent: IntentPart | None = None  # counted per intent: a wave of service requests

    @property
    def service_request(self) -> bool:
        return self.intent is not None and self.intent.label == SERVICE_REQUEST

    @property
    def story(self) -> str:
        """Near-duplicates (one cluster) are one story."""
        return self.cluster.id if self.cluster is not None else self.id


class Observation(Counted, gc=False):
    """Counted, plus what an incident cites."""

    text: str = ""
    url: str | None = None


DECODER = msgspec.json.Decoder(Observation)
COUNTED_DECODER = msgspec.json.Decoder(Counted)


def from_enriched(mention: EnrichedMention) -> Observation:
    return Observation(
        id=mention.id,
        tenant=mention.tenant,
        brands=tuple(mention.brands),
        published_at=mention.published_at,
        published_at_known=mention.published_at_known,
        sentiment=SentimentPart(mention.sentiment.score, mention.sentiment.label),
        virality=ViralityPart(mention.virality.score),
        author=AuthorPart(mention.author.followers),
        text=mention.text,
        url=mention.url,
        cluster=ClusterPart(mention.cluster.id) if mention.cluster is not None else None,
        intent=IntentPart(mention.intent.label) if mention.intent is not None else None,
    )
