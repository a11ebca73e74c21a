"""Posts and brand replies for the response-time tests (unit and integration)."""

from datetime import datetime

from schemas.enriched import EnrichedMention, Intent, IntentLabel
from schemas.mention import Author
from tests.helpers import enriched, mention

BRAND_ACCOUNTS = {"x": ["@AirVolaris"], "mastodon": ["@aide@volaris.social"]}


def post(
    text: str, at: datetime, intent: IntentLabel = "service_request", score: float = -0.5,
    native_id: str | None = None, in_reply_to: str | None = None, handle: str = "@client",
    source_kind: str = "x", followers: int = 120, tenant: str = "agence-horizon",
) -> EnrichedMention:  # fmt: skip
    """One X (by default) post of a customer, or of the brand with handle="@AirVolaris"."""
    doc = enriched(mention(text, tenant=tenant, native_id=native_id), score)
    probabilities: dict[IntentLabel, float] = {intent: 1.0}
    return doc.model_copy(update={
        "published_at": at, "fetched_at": at, "enriched_at": at, "source_kind": source_kind,
        "in_reply_to": in_reply_to, "author": Author(handle=handle, followers=followers),
        "intent": Intent(label=intent, probabilities=probabilities, model="test",
                         model_version="0"),
    })  # fmt: skip
