"""What a page says, in French, the same on every channel: a subject line, the summary, the
ratio to the usual level, the top posts. Every text that comes from a post (or from the
incident's summary, which quotes terms of posts) goes through `runtime.display`; a post's
link is kept only if it is an http(s) URL.
"""

from dataclasses import dataclass

from alerts.notify.contract import Notification
from alerts.notify.text import grouped_line, overdue_headline, overdue_lines
from runtime.display import safe_line
from schemas.incident import Incident

SEVERITY_FR = {"warning": "vigilance", "major": "majeur", "critical": "critique"}
KIND_FR = {"crisis": "Crise", "opportunity": "Opportunité"}
ACTION_FR = {"acknowledge": "pris en charge", "resolve": "résolu"}
POST_CHARS = 280


@dataclass(frozen=True)
class Post:
    text: str
    url: str | None
    virality: float


def alert_key(notification: Notification) -> str:
    """The key of the provider's alert (PagerDuty `dedup_key`, Opsgenie `alias`): the incident
    id, so every step of one incident is one alert; `veille-source-<source>` for a source's
    health, so its recovery closes its silence."""
    if notification.incident is not None:
        return notification.incident.id
    if notification.health is not None:
        return f"veille-source-{notification.health.source}"
    return f"veille-{notification.id}"


def subject(notification: Notification) -> str:
    """'[CRITIQUE] Crise — acme (agence-a)', '[RÉSOLU] Crise — acme (agence-a)',
    '[SOURCE MUETTE] rss-presse'."""
    incident, health = notification.incident, notification.health
    if incident is not None:
        tag = ACTION_FR.get(notification.action) or SEVERITY_FR[incident.severity]
        what = f"{KIND_FR[incident.kind]} — {incident.brand} ({incident.tenant})"
        return safe_line(f"[{tag.upper()}] {what}")
    if health is not None:
        tag = "source muette" if health.event == "source_silent" else "source rétablie"
        return safe_line(f"[{tag.upper()}] {health.source}")
    if notification.overdue is not None:
        return safe_line(overdue_headline(notification.overdue))
    return safe_line(f"[VEILLE] {notification.reason or notification.tenant}")


def summary(notification: Notification) -> str:
    """The one-line summary: the incident's, or the source-health message."""
    if notification.incident is not None:
        return safe_line(notification.incident.summary)
    if notification.health is not None:
        return safe_line(notification.health.message)
    return ""


def ratio(incident: Incident) -> str:
    """'×6,2 le niveau habituel' (French decimal comma); '' without a baseline."""
    if incident.baseline <= 0:
        return ""
    return f"×{incident.signal / incident.baseline:.1f} le niveau habituel".replace(".", ",")


def posts(incident: Incident | None, max_chars: int = POST_CHARS) -> list[Post]:
    if incident is None:
        return []
    return [
        Post(safe_line(ref.text, max_chars), safe_url(ref.url), ref.virality)
        for ref in incident.top_mentions
    ]


def safe_url(url: str | None) -> str | None:
    """The URL as one safe line if it is http(s), else None (no javascript:, no data:)."""
    if url is None:
        return None
    line = safe_line(url)
    if " " in line or not line.lower().startswith(("https://", "http://")):
        return None
    return line


def lines(notification: Notification) -> list[str]:
    """The body as plain lines: summary, ratio, why you get it, who else, the posts."""
    body = [summary(notification)]
    incident = notification.incident
    if incident is not None and ratio(incident):
        body.append(ratio(incident))
    if notification.reason:
        body.append(f"Pourquoi vous : {safe_line(notification.reason)}")
    body.extend(f"Aussi : {grouped_line(other)}" for other in notification.grouped)
    if notification.also_notified:
        others = ", ".join(safe_line(name) for name in notification.also_notified)
        body.append(f"Également prévenus : {others}")
    for post in posts(incident):
        body.append(f"• {post.text}" + (f" <{post.url}>" if post.url else ""))
    if notification.overdue is not None:
        body.extend(overdue_lines(notification.overdue))
    return [line for line in body if line]
