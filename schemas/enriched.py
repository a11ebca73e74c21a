"""EnrichedMention: a Mention plus sentiment and virality.

Topic mentions.enriched; indexed in Elasticsearch as is.
"""

from typing import Literal

from pydantic import Field

from schemas._base import UtcDatetime, WireModel
from schemas.mention import Mention

SentimentLabel = Literal["negative", "neutral", "positive"]


class Sentiment(WireModel):
    label: SentimentLabel
    probabilities: dict[SentimentLabel, float] = Field(
        description="per-class probability (lexicon scorers: normalised lexicon proportions)"
    )
    score: float = Field(ge=-1.0, le=1.0, description="signed: -1 most negative, +1 most positive")
    model: str = Field(description="scorer id, e.g. lexicon:vadersentiment-fr")
    model_version: str


class Virality(WireModel):
    score: float = Field(ge=0.0, le=100.0)
    components: dict[str, float] = Field(default_factory=dict)


class EnrichedMention(Mention):
    sentiment: Sentiment
    virality: Virality
    language: str | None = Field(default=None, description="language the scorer assumed")
    enriched_at: UtcDatetime
