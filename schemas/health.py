"""SourceHealthEvent: a source went silent or recovered (topic ingest.health).

Contract: the ingest worker produces `source_silent` once per episode, when a source has
failed `ingest.silent_after_errors` polls in a row (`reason: failing`) or has yielded no new
item for its `silent_after_s` (`reason: no_items`), and `source_recovered` when it succeeds
again. `id` is stable per episode (source + event + episode start), so a replayed event is
absorbed by a consumer that dedups on it. `tenants` lists the tenants the source serves
(empty: all), for the notifier (`veille alerts notify`) to route the event to their on-call.
"""

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt

from schemas._base import UtcDatetime, WireModel

HEALTH_SCHEMA_VERSION: Literal[1] = 1


def health_event_id(source: str, event: str, since: datetime) -> str:
    digest = hashlib.sha256(f"{source}\x1f{event}\x1f{since.isoformat()}".encode())
    return digest.hexdigest()[:32]


class SourceHealthEvent(WireModel):
    schema_version: Literal[1] = HEALTH_SCHEMA_VERSION
    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    event: Literal["source_silent", "source_recovered"]
    reason: Literal["failing", "no_items", "recovered"]
    source: str = Field(min_length=1)
    source_kind: str = Field(min_length=1)
    tenants: list[str] = Field(default_factory=list, description="served tenants; [] = all")
    since: UtcDatetime = Field(description="start of the episode: first failure or last item")
    at: UtcDatetime
    consecutive_errors: NonNegativeInt = 0
    last_error: str | None = None
    last_success: UtcDatetime | None = None
    last_item_at: UtcDatetime | None = None
    items_per_hour: NonNegativeFloat = 0.0
    message: str = Field(description="one line a human can act on")


class SourceHealthSnapshot(WireModel):
    """One source's health as the ingest worker last saved it (its state file, every 30 s),
    read by `veille ingest health`."""

    kind: str
    last_success: UtcDatetime | None = None
    last_error: str | None = None
    consecutive_errors: NonNegativeInt = 0
    items_total: NonNegativeInt = 0
    items_per_hour: NonNegativeFloat = 0.0
    last_item_at: UtcDatetime | None = None
    silent_since: UtcDatetime | None = None
    at: UtcDatetime

    @property
    def state(self) -> Literal["SILENT", "FAILING", "ok"]:
        if self.silent_since is not None:
            return "SILENT"
        return "FAILING" if self.consecutive_errors else "ok"
