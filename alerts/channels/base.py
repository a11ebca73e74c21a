"""The channel contract."""

from typing import Protocol

from runtime.display import safe_line
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
    """The page as a person reads it. Every line is display-safe (runtime.display): a post's
    text or URL cannot recolour a terminal, reorder a line or add one."""
    incident = event.incident
    lines = [
        f"[{incident.severity.upper()}] {event.event}: "
        + safe_line(f"{incident.tenant}/{incident.brand}"),
        f"  {safe_line(incident.summary)}",
        f"  since {incident.opened_at:%a %Y-%m-%d %H:%M} UTC · incident {safe_line(incident.id)}",
    ]
    for ref in incident.top_mentions:
        url = safe_line(ref.url, 300) if ref.url else ""
        lines.append(f"  · {safe_line(ref.text, 120)}" + (f"  <{url}>" if url else ""))
    return "\n".join(lines)
