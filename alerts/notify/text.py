"""A notification as a person reads it, in French, display-safe (runtime/display.py)."""

from zoneinfo import ZoneInfo

from alerts.notify.contract import Notification
from runtime.display import safe_line
from schemas.incident import Incident
from schemas.reply_record import OverdueDigest

DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
KIND = {"crisis": "crise", "opportunity": "opportunité"}
ACTION = {"trigger": "", "acknowledge": "acquittée", "resolve": "résolue", "info": ""}


def local_time(incident: Incident, zone: str = "Europe/Paris") -> str:
    at = incident.opened_at.astimezone(ZoneInfo(zone))
    return f"{DAYS[at.weekday()]} {at:%d/%m %H:%M} ({zone})"


def headline(notification: Notification) -> str:
    """One line: '[WARNING] crise agence-horizon/air-volaris → Alice Martin'."""
    if notification.health is not None:
        health = notification.health
        state = "muette" if health.event == "source_silent" else "rétablie"
        return f"[SOURCE] {safe_line(health.source, 80)} {state} ({notification.tenant})"
    if notification.overdue is not None:
        return overdue_headline(notification.overdue)
    incident = notification.incident
    assert incident is not None
    what = ACTION[notification.action] or KIND[incident.kind]
    line = f"[{incident.severity.upper()}] {what} {incident.tenant}/{incident.brand}"
    if notification.recipient is not None:
        line += f" → {safe_line(notification.recipient.name, 60)}"
    return line


def overdue_headline(digest: OverdueDigest) -> str:
    """'[SANS RÉPONSE] 3 post(s) en retard pour advisers (agence-horizon)'."""
    tag = "SANS RÉPONSE — CRISE" if digest.page else "SANS RÉPONSE"
    return (f"[{tag}] {len(digest.posts)} post(s) en retard pour {digest.team or '-'} "
            f"({digest.tenant})")  # fmt: skip


def overdue_lines(digest: OverdueDigest, zone: str = "Europe/Paris") -> list[str]:
    """One line per post, oldest first: since when, intent, reach, text, link."""
    out = []
    for post in digest.posts:
        at = post.published_at.astimezone(ZoneInfo(zone))
        url = f" <{safe_line(post.url, 300)}>" if post.url else ""
        out.append(f"· {DAYS[at.weekday()]} {at:%d/%m %H:%M} {post.intent} "
                   f"({post.followers} abonnés) {safe_line(post.text, 120)}{url}")  # fmt: skip
    return out


def grouped_line(incident: Incident) -> str:
    """One of the other incidents of a grouped message."""
    what = KIND[incident.kind]
    return (f"[{incident.severity.upper()}] {what} {incident.tenant}/{incident.brand} : "
            f"{safe_line(incident.summary, 200)} (incident {incident.id})")  # fmt: skip


def page_text(notification: Notification, max_posts: int = 3) -> str:
    """The whole message: headline, why, the numbers, top posts, the incident link."""
    lines = [headline(notification)]
    if notification.reason:
        lines.append(f"  {safe_line(notification.reason, 200)}")
    if notification.health is not None:
        lines.append(f"  {safe_line(notification.health.message, 300)}")
    if notification.overdue is not None:
        lines.extend(f"  {line}" for line in overdue_lines(notification.overdue))
    incident = notification.incident
    if incident is not None:
        lines.append(f"  {safe_line(incident.summary, 300)}")
        ratio = incident.signal / incident.baseline if incident.baseline else 0.0
        lines.append(f"  depuis {local_time(incident)} · ×{ratio:.0f} l'habituel · "
                     f"incident {incident.id}")  # fmt: skip
        for ref in incident.top_mentions[:max_posts]:
            url = f"  <{safe_line(ref.url, 300)}>" if ref.url else ""
            lines.append(f"  · {safe_line(ref.text, 120)}{url}")
    for other in notification.grouped:
        lines.append(f"  + {grouped_line(other)}")
    if notification.also_notified:
        lines.append(f"  aussi prévenu(s) : {', '.join(notification.also_notified)}")
    if notification.link:
        every = f" (les {len(notification.grouped) + 1} incidents)" if notification.grouped else ""
        lines.append(f"  acquitter / résoudre{every} : {notification.link}")
    return "\n".join(lines)
