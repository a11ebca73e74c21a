"""Incidents: one per brand episode; each change of one is an IncidentEvent on alerts.incidents."""

import hashlib
from typing import Literal

from pydantic import Field, NonNegativeInt

from schemas._base import UtcDatetime, WireModel

INCIDENT_SCHEMA_VERSION: Literal[1] = 1

IncidentStatus = Literal["open", "resolved"]
Severity = Literal["warning", "major", "critical"]
IncidentEventKind = Literal["opened", "escalated", "updated", "resolved"]


def incident_id(tenant: str, brand: str, opened_at_iso: str, trigger: str) -> str:
    """Deterministic: replaying the same mentions yields the same incident ids."""
    key = f"{tenant}\x1f{brand}\x1f{opened_at_iso}\x1f{trigger}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


class MentionRef(WireModel):
    id: str
    url: str | None = None
    text: str
    published_at: UtcDatetime
    virality: float = 0.0


class Incident(WireModel):
    schema_version: Literal[1] = INCIDENT_SCHEMA_VERSION
    id: str
    tenant: str
    brand: str
    status: IncidentStatus
    severity: Severity
    trigger: str = Field(description="the rule that opened it, e.g. negative_burst")
    opened_at: UtcDatetime = Field(description="event time of the mention that opened it")
    updated_at: UtcDatetime
    resolved_at: UtcDatetime | None = None
    negative_count: NonNegativeInt = Field(description="negative mentions in the current window")
    window_minutes: int
    summary: str = Field(description="human explanation, e.g. '18 negative mentions in 30 min'")
    top_mentions: list[MentionRef] = Field(default_factory=list)


class IncidentEvent(WireModel):
    """One line of the incident log. `at` is event time (published_at), never wall-clock."""

    schema_version: Literal[1] = INCIDENT_SCHEMA_VERSION
    event: IncidentEventKind
    at: UtcDatetime
    incident: Incident
    emitted_at: UtcDatetime

    @property
    def dedup_key(self) -> str:
        """A page for the same incident event is sent once, however often it is replayed."""
        return f"{self.incident.id}:{self.event}:{self.incident.severity}"

    @property
    def pages(self) -> bool:
        """Events that wake someone up: opening and escalation."""
        return self.event in ("opened", "escalated")
