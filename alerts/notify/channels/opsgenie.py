"""Opsgenie Alert API: create, acknowledge and close an alert, `Authorization: GenieKey`.

Contract: the alert's `alias` is the incident id (a source-health notice:
`veille-source-<source>`); Opsgenie keeps one open alert per alias, so a create repeated
after a crash or at an escalation step adds to it (the channel de-duplicates).
trigger / info → `POST {api_url}/v2/alerts` with `message` ≤ 130 characters, `description`
(≤ 15,000: summary, ×baseline, reason, top posts, the incident page), `priority`
(critical → P1, major → P2, warning → P3, info → P5), tags, details; acknowledge / resolve →
`POST {api_url}/v2/alerts/{alias}/acknowledge|close?identifierType=alias`. Opsgenie answers
202 with a `requestId` (the Delivery's provider id): the request is queued, not yet applied.
"""

from typing import Any
from urllib.parse import quote

from alerts.notify.channels import text
from alerts.notify.channels.secrets import missing_secret, secret_forms
from alerts.notify.channels.transport import request
from alerts.notify.contract import Delivery, Notification
from runtime.display import safe_line
from schemas.config.channels import OpsgenieChannelSettings

MESSAGE_CHARS = 130
DESCRIPTION_CHARS = 15_000
NOTE_CHARS = 25_000
PRIORITY = {"critical": "P1", "major": "P2", "warning": "P3"}
_CLOSING = {"acknowledge": "acknowledge", "resolve": "close"}


class OpsgenieChannel:
    deduplicates = True

    def __init__(self, name: str, settings: OpsgenieChannelSettings) -> None:
        self.name = name
        self._settings = settings

    def send(self, notification: Notification) -> Delivery:
        key = self._settings.api_key
        if key is None or not key.get_secret_value():
            raise missing_secret(self.name, "api_key")
        base = self._settings.api_url.rstrip("/") + "/v2/alerts"
        action = _action(notification)
        if action in _CLOSING:
            alias = quote(text.alert_key(notification), safe="")
            url, params = f"{base}/{alias}/{_CLOSING[action]}", {"identifierType": "alias"}
            body = {"source": "veille", "user": "veille", "note": _note(notification)}
        else:
            url, params, body = base, None, alert_body(notification)
        answer = request(
            self.name,
            "POST",
            url,
            secrets=secret_forms([key.get_secret_value()]),
            timeout_s=self._settings.timeout_s,
            headers={"Authorization": f"GenieKey {key.get_secret_value()}"},
            json_body=body,
            params=params,
        )
        request_id = answer.data.get("requestId") if isinstance(answer.data, dict) else None
        return answer.delivery(self.name, request_id)


def alert_body(notification: Notification) -> dict[str, Any]:
    """The create-alert body."""
    incident = notification.incident
    priority = PRIORITY[incident.severity] if incident and notification.action != "info" else "P5"
    details = {"tenant": notification.tenant}
    tags = ["veille", notification.tenant]
    if incident is not None:
        tags += [incident.brand, incident.severity, incident.kind]
        details |= {"brand": incident.brand, "incident": incident.id, "trigger": incident.trigger}
        if text.ratio(incident):
            details["ratio"] = text.ratio(incident)
    if notification.link:
        details["page"] = notification.link
    body: dict[str, Any] = {
        "message": safe_line(text.subject(notification), MESSAGE_CHARS),
        "alias": text.alert_key(notification),
        "description": _description(notification),
        "priority": priority,
        "source": "veille",
        "tags": tags,
        "details": details,
    }
    if incident is not None:
        body["entity"] = incident.brand
    return body


def _action(notification: Notification) -> str:
    if notification.health is not None and notification.health.event == "source_recovered":
        return "resolve"
    return notification.action


def _description(notification: Notification) -> str:
    lines = text.lines(notification)
    if notification.link:
        lines.append(f"Page de l'incident (prendre en charge, résoudre) : {notification.link}")
    description = "\n".join(lines)
    if len(description) > DESCRIPTION_CHARS:
        description = description[: DESCRIPTION_CHARS - 1] + "…"
    return description


def _note(notification: Notification) -> str:
    return safe_line(notification.reason or text.subject(notification), NOTE_CHARS)
