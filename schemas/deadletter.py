"""DeadLetter: a message a stage could not process, with the reason (topic mentions.dlq)."""

import base64
from typing import Literal

from pydantic import Field

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

    @staticmethod
    def encode(raw: bytes | None) -> str | None:
        return None if raw is None else base64.b64encode(raw).decode("ascii")

    def original_value(self) -> bytes:
        return base64.b64decode(self.value_b64)
