"""IncidentResponse: a person answers an incident (topic alerts.responses, key: incident id).

Every path a person takes — `veille incidents ack|resolve`, the incident page's buttons, a
Slack button, a PagerDuty or Opsgenie callback — publishes one of these, so every worker
sees it and the topic is the history of who did what, when. `id` is stable per answer
(`response_id`): a page reloaded or a callback delivered twice is one answer.

- acknowledge: someone is on it; every pending escalation step of the incident stops.
- resolve: it is over; escalation stops and the detector closes the incident (the answer's
  path also sends a ResolveCommand on alerts.commands, which the detector reads).
- not_a_crisis: resolve, and the detection was wrong (feedback kept in the history).
"""

import hashlib
from typing import Literal

from pydantic import Field

from schemas._base import UtcDatetime, WireModel

RESPONSE_SCHEMA_VERSION: Literal[1] = 1

ResponseAction = Literal["acknowledge", "resolve", "not_a_crisis"]
ResponseVia = Literal["cli", "link", "slack", "pagerduty", "opsgenie"]


def response_id(incident_id: str, action: str, by: str, nonce: str) -> str:
    """`nonce`: what makes the answer one (a link's token id, a callback's id, a CLI run)."""
    digest = hashlib.sha256(f"{incident_id}\x1f{action}\x1f{by}\x1f{nonce}".encode())
    return digest.hexdigest()[:32]


class IncidentResponse(WireModel):
    schema_version: Literal[1] = RESPONSE_SCHEMA_VERSION
    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    action: ResponseAction
    incident_id: str = Field(min_length=1)
    tenant: str = Field(min_length=1)
    brand: str = Field(min_length=1)
    by: str = Field(min_length=1, description="who answered, as they gave their name")
    via: ResponseVia
    at: UtcDatetime = Field(description="wall-clock time of the answer")
    note: str = ""
