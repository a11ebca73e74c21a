"""Incidents: one per brand episode; each change of one is an IncidentEvent on alerts.incidents.

A `crisis` is an accelerating negative buzz (or one negative post going viral) and pages the
on-call; an `opportunity` is an accelerating positive buzz and never pages.
"""

import hashlib
from typing import Literal

from pydantic import Field, NonNegativeInt

from schemas._base import UtcDatetime, WireModel

INCIDENT_SCHEMA_VERSION: Literal[1] = 1

IncidentStatus = Literal["open", "resolved"]
IncidentKind = Literal["crisis", "opportunity"]
Severity = Literal["warning", "major", "critical"]
Trigger = Literal["negative_acceleration", "viral_post", "positive_acceleration", "service_outage"]
"""`service_outage`: a crisis opened by accelerating negative mentions most of which are
service requests (intent `service_request`): customers reporting one outage. It is routed
only where a route names it (`alerts.routes[].triggers`): the service team, not the crisis
on-call."""
IncidentEventKind = Literal["opened", "escalated", "updated", "resolved"]


def incident_id(tenant: str, brand: str, kind: str, opened_at_iso: str) -> str:
    """Deterministic: replaying the same mentions yields the same incident ids."""
    key = f"{tenant}\x1f{brand}\x1f{kind}\x1f{opened_at_iso}"
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
    kind: IncidentKind
    status: IncidentStatus
    severity: Severity
    trigger: Trigger = Field(description="what opened it")
    opened_at: UtcDatetime = Field(description="event time at which it was detected")
    updated_at: UtcDatetime
    resolved_at: UtcDatetime | None = None
    resolved_by: str | None = Field(default=None, description="'auto', or who resolved it")
    window_minutes: int
    count: NonNegativeInt = Field(description="mentions of its polarity in the last window")
    stories: NonNegativeInt = Field(description="distinct stories (near-duplicates once)")
    signal: float = Field(description="virality-weighted stories in the last window")
    baseline: float = Field(description="the usual signal for this hour of the week")
    peak_signal: float
    negative_share: float = Field(ge=0, le=1)
    summary: str = Field(description="e.g. '48 negative mentions in 10 min, ×6 the usual…'")
    top_mentions: list[MentionRef] = Field(default_factory=list)
    top_terms: list[str] = Field(default_factory=list)


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
        """Events that wake someone up: a crisis opening or escalating."""
        return self.incident.kind == "crisis" and self.event in ("opened", "escalated")


class ResolveCommand(WireModel):
    """A person resolves an incident by hand (`veille alerts resolve`), on alerts.commands."""

    command: Literal["resolve"] = "resolve"
    tenant: str
    brand: str
    incident_id: str
    by: str = Field(min_length=1)
    issued_at: UtcDatetime
