"""DeadLetter: a message a stage could not process, with the reason (topic mentions.dlq).

Contract: `id` is deterministic — the same rejected message gets the same id however often it
is rejected (a redelivered or retried batch, a restart after a dead-letter-limit stop), and it
is the message's Kafka key on the dead-letter topic: whoever reads the topic deduplicates on
it (e.g. as an Elasticsearch `_id`). It is derived from the stage and the message's position
(topic, partition, offset), or from the stage and the original bytes when there is no position
(ingest rejects items before they reach a topic).
"""

import base64
import hashlib
from typing import Any, Literal

from pydantic import Field, model_validator

from schemas._base import UtcDatetime, WireModel

DEADLETTER_SCHEMA_VERSION: Literal[1] = 1


class DeadLetter(WireModel):
    schema_version: Literal[1] = DEADLETTER_SCHEMA_VERSION
    stage: str = Field(description="the worker that rejected it: ingest, enrich, index, alerts")
    error: str = Field(description="why, in words a human can act on")
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key_b64: str | None = None
    value_b64: str = Field(description="the original bytes, base64")
    failed_at: UtcDatetime
    id: str = Field(default="", description="deterministic dedup key, the Kafka key (see module)")

    @model_validator(mode="before")
    @classmethod
    def _derive_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("id"):
            data = {**data, "id": dead_letter_id(data)}
        return data

    @staticmethod
    def encode(raw: bytes | None) -> str | None:
        return None if raw is None else base64.b64encode(raw).decode("ascii")

    def original_value(self) -> bytes:
        return base64.b64decode(self.value_b64)


def dead_letter_id(fields: dict[str, Any]) -> str:
    """`dl-` + 20 hex digits of SHA-256 over the stage and the position, or the bytes."""
    if fields.get("topic") is not None and fields.get("offset") is not None:
        origin = f"{fields['topic']}\x00{fields.get('partition')}\x00{fields['offset']}"
    else:
        origin = str(fields.get("value_b64", ""))
    digest = hashlib.sha256(f"{fields.get('stage')}\x00{origin}".encode())
    return "dl-" + digest.hexdigest()[:20]
