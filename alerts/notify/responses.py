"""Publishing a person's answer: every path (CLI, incident page, chat button, provider
callback) goes through `publish_response`, so they all mean the same thing.

The answer goes on alerts.responses (key: the tenant, `response_key`: the partition of the
tenant's incidents, whose notifier stops the escalation); a
resolve or "not a crisis" also sends a ResolveCommand on alerts.commands, which the
detector reads to close the incident (and publish its `resolved` event).
"""

from datetime import datetime

from runtime.kafka import DurableProducer
from schemas.incident import ResolveCommand
from schemas.response import IncidentResponse, ResponseAction, ResponseVia, response_id
from schemas.topics import Topics, brand_key, response_key


def make_response(
    action: ResponseAction, incident_id: str, tenant: str, brand: str, by: str,
    via: ResponseVia, nonce: str, at: datetime, note: str = "",
) -> IncidentResponse:  # fmt: skip
    return IncidentResponse(
        id=response_id(incident_id, action, by, nonce), action=action, incident_id=incident_id,
        tenant=tenant, brand=brand, by=by, via=via, at=at, note=note,
    )  # fmt: skip


def publish_response(producer: DurableProducer, topics: Topics, response: IncidentResponse) -> None:
    """Durable on return (raises otherwise)."""
    producer.send(topics.responses, response_key(response), response.model_dump_json().encode())
    if response.action in ("resolve", "not_a_crisis"):
        command = ResolveCommand(
            tenant=response.tenant, brand=response.brand, incident_id=response.incident_id,
            by=response.by, issued_at=response.at,
        )  # fmt: skip
        key = brand_key(response.tenant, response.brand)  # the partition of its detector
        producer.send(topics.commands, key, command.model_dump_json().encode())
    producer.flush()
