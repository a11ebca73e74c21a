"""Shared base for versioned, immutable wire models."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC. Naive datetimes are rejected."""


class WireModel(BaseModel):
    """A message on a topic: unknown fields are an error, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
