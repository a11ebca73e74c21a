"""What a provider tells veille back: an incident acknowledged or resolved there.

Pure functions for the notifier's HTTP service, one pair per provider: a check of the
request's authenticity (constant-time) and a parser into a `ProviderAction`, or None for an
event veille does not act on. `delivery_id` de-duplicates repeats of one callback.
- PagerDuty v3 webhooks: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]` (several during a
  secret rotation), each an HMAC-SHA256 of the raw body with the subscription's secret;
  `X-Webhook-Id` is the delivery id; `incident.acknowledged` / `incident.resolved` name the
  incident by `data.incident_key`, which is the Events API `dedup_key` (= veille's incident
  id), and who did it by `event.agent.summary`.
- Opsgenie webhooks are not signed: the integration sends veille's token in a custom header
  (`X-Veille-Token`); `Acknowledge` / `Close` name the alert by `alert.alias` (= incident id)
  and who by `alert.username`.
- Slack's buttons: see `alerts.notify.channels.slack` (`verify_slack_request`,
  `parse_slack_action`), which returns the same `ProviderAction`.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from runtime.display import safe_line

CallbackVerb = Literal["acknowledge", "resolve", "not_a_crisis"]
OPSGENIE_TOKEN_HEADER = "X-Veille-Token"
WHO_CHARS = 100
_PAGERDUTY_EVENTS: dict[str, CallbackVerb] = {
    "incident.acknowledged": "acknowledge",
    "incident.resolved": "resolve",
}
_OPSGENIE_ACTIONS: dict[str, CallbackVerb] = {"Acknowledge": "acknowledge", "Close": "resolve"}


class CallbackRejected(ValueError):
    """The request is not a callback veille can read (not JSON, missing fields)."""


@dataclass(frozen=True)
class ProviderAction:
    provider: Literal["pagerduty", "opsgenie", "slack"]
    incident_id: str
    action: CallbackVerb
    by: str
    delivery_id: str | None = None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header, whatever the case of its name in `headers`."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def verify_pagerduty_webhook(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    signatures = header(headers, "X-PagerDuty-Signature")
    if not secret or not signatures:
        return False
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return any(
        hmac.compare_digest(expected.encode(), candidate.strip().encode())
        for candidate in signatures.split(",")
    )


def parse_pagerduty_webhook(body: bytes, headers: Mapping[str, str]) -> ProviderAction | None:
    event = _object(_json(body).get("event"), "event")
    verb = _PAGERDUTY_EVENTS.get(str(event.get("event_type")))
    if verb is None:
        return None
    data = _object(event.get("data"), "event.data")
    incident_id = data.get("incident_key")
    if not isinstance(incident_id, str) or not incident_id:
        raise CallbackRejected("event.data.incident_key is missing")
    agent = event.get("agent")
    by = agent.get("summary") if isinstance(agent, dict) else None
    return ProviderAction(
        "pagerduty",
        incident_id,
        verb,
        _who(by, "PagerDuty"),
        header(headers, "X-Webhook-Id") or _optional_str(event.get("id")),
    )


def verify_opsgenie_callback(headers: Mapping[str, str], token: str) -> bool:
    sent = header(headers, OPSGENIE_TOKEN_HEADER)
    return bool(token) and sent is not None and hmac.compare_digest(sent.encode(), token.encode())


def parse_opsgenie_callback(body: bytes) -> ProviderAction | None:
    payload = _json(body)
    verb = _OPSGENIE_ACTIONS.get(str(payload.get("action")))
    if verb is None:
        return None
    alert = _object(payload.get("alert"), "alert")
    alias = alert.get("alias")
    if not isinstance(alias, str) or not alias:
        raise CallbackRejected("alert.alias is missing")
    delivery = f"{alert.get('alertId')}:{payload.get('action')}:{alert.get('updatedAt')}"
    return ProviderAction(
        "opsgenie", alias, verb, _who(alert.get("username"), "Opsgenie"), delivery
    )


def _who(value: Any, default: str) -> str:
    """Who acted, as a display-safe line (it is shown on the incident page)."""
    return safe_line(value, WHO_CHARS) if isinstance(value, str) and value.strip() else default


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        raise CallbackRejected("the body is not JSON") from None
    return _object(value, "the body")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CallbackRejected(f"{what} is not an object")
    return value


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
