"""PagerDuty Events API v2: `POST {api_url}/v2/enqueue`, one event per notification.

Contract: `dedup_key` is the incident id (a source-health notice: `veille-source-<source>`),
so PagerDuty keeps one alert per incident whatever the escalation step or a replay sends:
the channel de-duplicates. `trigger` (and `info`, as severity `info`) carries the payload:
`summary` ≤ 1,024 characters, `severity` (warning → warning, major → error, critical →
critical), `source`, `timestamp`, `component` (brand), `group` (tenant), `custom_details`
(summary, ×baseline, reason, a grouped message's other incidents, top posts) and `links`
(the incident page). acknowledge /
resolve carry only the key. An event stays under PagerDuty's 512 KB: the top posts are
dropped from the last until it fits, then the details are cut to the summary; it never fails
for its size. 400 (an invalid event) is not recoverable; 429 and 5xx are, with Retry-After.
"""

import json
from typing import Any

from alerts.notify.channels import text
from alerts.notify.channels.secrets import missing_secret, secret_forms
from alerts.notify.channels.transport import request
from alerts.notify.contract import Delivery, Notification
from alerts.notify.text import grouped_line
from runtime.display import safe_line
from schemas.config.channels import PagerDutyChannelSettings

SUMMARY_CHARS = 1024
MAX_EVENT_BYTES = 512 * 1024
SEVERITY = {"warning": "warning", "major": "error", "critical": "critical"}
DETAIL_POST_CHARS = 10_000


class PagerDutyChannel:
    deduplicates = True

    def __init__(self, name: str, settings: PagerDutyChannelSettings) -> None:
        self.name = name
        self._settings = settings

    def send(self, notification: Notification) -> Delivery:
        key = self._settings.routing_key
        if key is None or not key.get_secret_value():
            raise missing_secret(self.name, "routing_key")
        event = pagerduty_event(notification, key.get_secret_value(), self._settings.source)
        answer = request(
            self.name,
            "POST",
            self._settings.api_url.rstrip("/") + "/v2/enqueue",
            secrets=secret_forms([key.get_secret_value()]),
            timeout_s=self._settings.timeout_s,
            content=encode(event),
            headers={"Content-Type": "application/json"},
        )
        dedup_key = answer.data.get("dedup_key") if isinstance(answer.data, dict) else None
        return answer.delivery(self.name, dedup_key or event["dedup_key"])


def pagerduty_event(notification: Notification, routing_key: str, source: str) -> dict[str, Any]:
    """The Events API v2 body, within 512 KB."""
    action = notification.action
    if notification.health is not None:
        action = "resolve" if notification.health.event == "source_recovered" else "trigger"
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger" if action == "info" else action,
        "dedup_key": text.alert_key(notification),
    }
    if event["event_action"] != "trigger":
        return event
    incident = notification.incident
    payload: dict[str, Any] = {
        "summary": safe_line(
            f"{text.subject(notification)} : {text.summary(notification)}", SUMMARY_CHARS
        ),
        "source": source,
        "severity": SEVERITY[incident.severity] if incident and action != "info" else "info",
        "group": notification.tenant,
        "custom_details": _details(notification),
    }
    if incident is not None:
        payload |= {
            "timestamp": incident.opened_at.isoformat(),
            "component": incident.brand,
            "class": incident.trigger,
        }
    event |= {"payload": payload, "client": "veille"}
    if notification.link:
        event["client_url"] = notification.link
        event["links"] = [{"href": notification.link, "text": "Page de l'incident (veille)"}]
    return _within_limit(event)


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def _details(notification: Notification) -> dict[str, Any]:
    details: dict[str, Any] = {"résumé": text.summary(notification)}
    incident = notification.incident
    if incident is not None:
        details["par rapport à l'habituel"] = text.ratio(incident)
        details["mentions"] = incident.count
        details["histoires distinctes"] = incident.stories
        details["part négative"] = round(incident.negative_share, 3)
    if notification.reason:
        details["pourquoi"] = safe_line(notification.reason)
    if notification.also_notified:
        details["également prévenus"] = [safe_line(n) for n in notification.also_notified]
    if notification.grouped:
        details["aussi"] = [grouped_line(other) for other in notification.grouped]
    details["publications"] = [
        {"texte": post.text, "lien": post.url, "viralité": round(post.virality, 1)}
        for post in text.posts(incident, DETAIL_POST_CHARS)
    ]
    return details


def _within_limit(event: dict[str, Any]) -> dict[str, Any]:
    details = event["payload"]["custom_details"]
    published: list[Any] = details["publications"]
    excess = len(encode(event)) - MAX_EVENT_BYTES
    while excess > 0 and published:  # each post's own bytes, and its comma
        excess -= len(encode(published.pop())) + 1
    if len(encode(event)) > MAX_EVENT_BYTES:
        event["payload"]["custom_details"] = {"résumé": details["résumé"][:SUMMARY_CHARS]}
    return event
