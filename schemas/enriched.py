"""ScoredMention: a Mention plus what the model says of it alone (sentiment, intent), topic
mentions.scored. EnrichedMention: a Mention plus sentiment, intent, near-duplicate cluster and
virality, topic mentions.enriched; indexed in Elasticsearch as is.
"""

from typing import Literal

from pydantic import Field

from schemas._base import UtcDatetime, WireModel
from schemas.mention import Mention

SentimentLabel = Literal["negative", "neutral", "positive"]
IntentLabel = Literal["service_request", "complaint", "question", "praise", "news", "other"]
"""What a post wants: `service_request` (a customer's own problem that needs an answer:
order, delivery, refund, delay, outage, account), `complaint` (public criticism, no
request), `question` (asks about a product, offer or technical point), `praise`, `news`
(press, announcements, third parties), `other`."""


class Sentiment(WireModel):
    label: SentimentLabel
    probabilities: dict[SentimentLabel, float] = Field(
        description="per-class probability (lexicon scorers: normalised lexicon proportions)"
    )
    score: float = Field(ge=-1.0, le=1.0, description="signed: -1 most negative, +1 most positive")
    model: str = Field(description="scorer id, e.g. lexicon:vadersentiment-fr")
    model_version: str


class Intent(WireModel):
    """Scored by a second head on the sentiment encoder's embeddings (same forward pass)."""

    label: IntentLabel
    probabilities: dict[IntentLabel, float] = Field(description="per-class probability")
    model: str = Field(description="intent model id, e.g. e5-small-intent-fr")
    model_version: str


class Virality(WireModel):
    """See enrich/virality.py for the formula."""

    score: float = Field(ge=0.0, le=100.0)
    components: dict[str, float] = Field(
        default_factory=dict,
        description="reach, engagement, velocity, cluster (each in [0, 1]) and source_weight",
    )
    velocity_per_minute: float | None = Field(
        default=None,
        description="weighted interactions gained per minute since the previous observation of "
        "this mention id; null when unknown (first observation seen by this worker)",
    )
    cluster_growth: int = Field(
        default=0, ge=0, description="near-duplicates that joined its cluster in the window"
    )


class NearDuplicateCluster(WireModel):
    """The story a mention belongs to: near-identical texts of one tenant share a cluster."""

    id: str = Field(description="id of the first mention of the cluster this worker saw")
    size: int = Field(ge=1, description="distinct mentions assigned to the cluster so far")


class ScoredMention(Mention):
    """The inference stage's output (enrich/inference.py): depends on the mention alone."""

    sentiment: Sentiment
    intent: Intent | None = Field(default=None, description="null when no intent model")
    language: str | None = Field(default=None, description="language the scorer assumed")
    scored_at: UtcDatetime


class EnrichedMention(Mention):
    sentiment: Sentiment
    intent: Intent | None = Field(
        default=None,
        description="null in messages enriched before, or when no intent model is configured",
    )
    virality: Virality
    language: str | None = Field(default=None, description="language the scorer assumed")
    cluster: NearDuplicateCluster | None = Field(
        default=None, description="near-duplicate cluster (null in messages enriched before)"
    )
    enriched_at: UtcDatetime
