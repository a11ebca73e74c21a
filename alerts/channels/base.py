"""The channel contract."""

from typing import Protocol

from schemas.incident import IncidentEvent


class NotifyError(Exception):
    """A page was not delivered. `recoverable` says whether trying again can help."""

    def __init__(self, message: str, recoverable: bool) -> None:
        super().__init__(message)
        self.recoverable = recoverable


class Channel(Protocol):
    name: str

    def send(self, event: IncidentEvent) -> None:
        """Deliver one page; raise NotifyError if it was not delivered."""
        ...


def page_text(event: IncidentEvent) -> str:
    """The page as a person reads it."""
    incident = event.incident
    lines = [
        f"[{incident.severity.upper()}] {event.event}: {incident.tenant}/{incident.brand}",
        f"  {incident.summary}",
        f"  since {incident.opened_at:%a %Y-%m-%d %H:%M} UTC · incident {incident.id}",
    ]
    for ref in incident.top_mentions:
        lines.append(f"  · {ref.text[:120]}" + (f"  <{ref.url}>" if ref.url else ""))
    return "\n".join(lines)
