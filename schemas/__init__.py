"""The contracts every stage shares.

Stages never import each other: they meet here and on topics.
"""

from pydantic import BaseModel

from schemas.config import VeilleConfig
from schemas.deadletter import DeadLetter
from schemas.enriched import EnrichedMention, ScoredMention, Sentiment, SentimentLabel, Virality
from schemas.health import SourceHealthEvent
from schemas.incident import Incident, IncidentEvent, MentionRef
from schemas.mention import (
    Author,
    Engagement,
    IncomingPost,
    Mention,
    mention_id,
    post_mention_id,
)
from schemas.response import IncidentResponse
from schemas.topics import Topics

__all__ = [
    "Author",
    "DeadLetter",
    "Engagement",
    "EnrichedMention",
    "Incident",
    "IncidentEvent",
    "IncidentResponse",
    "IncomingPost",
    "Mention",
    "MentionRef",
    "ScoredMention",
    "Sentiment",
    "SentimentLabel",
    "SourceHealthEvent",
    "Topics",
    "Virality",
    "mention_id",
    "post_mention_id",
]

JSON_SCHEMAS: dict[str, type[BaseModel]] = {
    "mention.v1": Mention,
    "incoming-post.v1": IncomingPost,
    "scored-mention.v1": ScoredMention,
    "enriched-mention.v1": EnrichedMention,
    "incident.v1": Incident,
    "incident-event.v1": IncidentEvent,
    "dead-letter.v1": DeadLetter,
    "source-health-event.v1": SourceHealthEvent,
    "incident-response.v1": IncidentResponse,
    "config.v1": VeilleConfig,
}
"""Every contract with a JSON Schema export (`veille schemas export DIR`)."""
