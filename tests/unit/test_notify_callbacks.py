"""Provider callbacks, pure: signatures (PagerDuty v3, Slack v0, Opsgenie's token) and the
parsing of acknowledge / resolve into a ProviderAction; Retry-After; secret redaction."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from alerts.notify.callbacks import (
    CallbackRejected,
    ProviderAction,
    parse_opsgenie_callback,
    parse_pagerduty_webhook,
    verify_opsgenie_callback,
    verify_pagerduty_webhook,
)
from alerts.notify.channels.secrets import redact, secret_forms
from alerts.notify.channels.slack import parse_slack_action, verify_slack_request
from alerts.notify.channels.transport import retry_after_s

PD_SECRET = "pd-webhook-secret-0123"
NOW = datetime(2026, 3, 14, 22, 10, tzinfo=UTC)


def pd_body(event_type: str = "incident.acknowledged") -> bytes:
    return json.dumps(
        {
            "event": {
                "id": "01DEN8EF4QUJG8ACAJLJ2ZZTRY",
                "event_type": event_type,
                "resource_type": "incident",
                "occurred_at": "2026-03-14T22:09:00.000Z",
                "agent": {
                    "id": "PLH1HKV",
                    "summary": "Tenex \u202eEngineer",
                    "type": "user_reference",
                },
                "data": {
                    "id": "PGR0VU2",
                    "type": "incident",
                    "status": "acknowledged",
                    "incident_key": "inc0123456789abcdef0123",
                    "title": "[CRITIQUE] Crise — acme",
                },
            }
        }
    ).encode()


def pd_signature(body: bytes, secret: str = PD_SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_pagerduty_signature_any_of_several() -> None:
    body = pd_body()
    rotated = f"{pd_signature(body, 'old-secret')},{pd_signature(body)}"
    assert verify_pagerduty_webhook(body, {"x-pagerduty-signature": rotated}, PD_SECRET)
    assert not verify_pagerduty_webhook(body, {"X-PagerDuty-Signature": rotated}, "other")
    assert not verify_pagerduty_webhook(body + b" ", {"X-PagerDuty-Signature": rotated}, PD_SECRET)
    assert not verify_pagerduty_webhook(body, {}, PD_SECRET)
    assert not verify_pagerduty_webhook(body, {"X-PagerDuty-Signature": pd_signature(body)}, "")


@pytest.mark.parametrize(
    ("event_type", "verb"),
    [("incident.acknowledged", "acknowledge"), ("incident.resolved", "resolve")],
)
def test_pagerduty_webhook_parsed(event_type: str, verb: str) -> None:
    action = parse_pagerduty_webhook(pd_body(event_type), {"X-Webhook-Id": "wh-42"})
    assert action == ProviderAction(
        "pagerduty",
        "inc0123456789abcdef0123",
        verb,
        "Tenex Engineer",
        "wh-42",  # type: ignore[arg-type]
    )


def test_pagerduty_webhook_other_events_and_bad_bodies() -> None:
    assert parse_pagerduty_webhook(pd_body("incident.triggered"), {}) is None
    with pytest.raises(CallbackRejected):
        parse_pagerduty_webhook(b"not json", {})
    with pytest.raises(CallbackRejected):
        parse_pagerduty_webhook(
            json.dumps({"event": {"event_type": "incident.resolved", "data": {}}}).encode(), {}
        )


def opsgenie_body(action: str) -> bytes:
    alert = {
        "alertId": "a-1",
        "alias": "inc0123456789abcdef0123",
        "username": "jo@x.fr",
        "updatedAt": 17,
    }
    return json.dumps({"action": action, "alert": alert, "source": {"type": "web"}}).encode()


def test_opsgenie_callbacks() -> None:
    ack = parse_opsgenie_callback(opsgenie_body("Acknowledge"))
    close = parse_opsgenie_callback(opsgenie_body("Close"))
    assert ack == ProviderAction(
        "opsgenie", "inc0123456789abcdef0123", "acknowledge", "jo@x.fr", "a-1:Acknowledge:17"
    )
    assert close is not None and close.action == "resolve"
    assert parse_opsgenie_callback(opsgenie_body("AddNote")) is None
    assert verify_opsgenie_callback({"x-veille-token": "t0ken-abc"}, "t0ken-abc")
    assert not verify_opsgenie_callback({"X-Veille-Token": "t0ken-abd"}, "t0ken-abc")
    assert not verify_opsgenie_callback({}, "t0ken-abc")
    assert not verify_opsgenie_callback({"X-Veille-Token": ""}, "")


def slack_headers(body: bytes, timestamp: int, secret: str = "slack-signing") -> dict[str, str]:
    base = f"v0:{timestamp}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature}


def slack_body(action_id: str = "veille_acknowledge") -> bytes:
    payload = {
        "type": "block_actions",
        "trigger_id": "123.456",
        "user": {"id": "U1", "username": "alice", "name": "alice"},
        "actions": [{"action_id": action_id, "value": "inc0123456789abcdef0123", "type": "button"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_slack_signature_and_window() -> None:
    body, now = slack_body(), int(NOW.timestamp())
    assert verify_slack_request(body, slack_headers(body, now - 299), "slack-signing", NOW)
    assert not verify_slack_request(body, slack_headers(body, now - 301), "slack-signing", NOW)
    assert not verify_slack_request(body, slack_headers(body, now + 301), "slack-signing", NOW)
    assert not verify_slack_request(body, slack_headers(body, now, "wrong"), "slack-signing", NOW)
    assert not verify_slack_request(body + b"x", slack_headers(body, now), "slack-signing", NOW)
    assert not verify_slack_request(body, {}, "slack-signing", NOW)


@pytest.mark.parametrize(
    ("action_id", "verb"),
    [
        ("veille_acknowledge", "acknowledge"),
        ("veille_resolve", "resolve"),
        ("veille_not_a_crisis", "not_a_crisis"),
    ],
)
def test_slack_action_parsed(action_id: str, verb: str) -> None:
    action = parse_slack_action(slack_body(action_id))
    assert action == ProviderAction("slack", "inc0123456789abcdef0123", verb, "alice", "123.456")  # type: ignore[arg-type]


def test_slack_other_interactions() -> None:
    assert parse_slack_action(slack_body("someone_else")) is None
    assert (
        parse_slack_action(urlencode({"payload": '{"type": "view_submission"}'}).encode()) is None
    )
    with pytest.raises(CallbackRejected):
        parse_slack_action(b"text=hello")


def test_retry_after() -> None:
    assert retry_after_s("7") == 7.0
    assert retry_after_s(" 1.5 ") == 1.5
    assert retry_after_s("Sat, 14 Mar 2026 22:11:00 GMT", NOW) == 60.0
    assert retry_after_s("Sat, 14 Mar 2026 22:00:00 GMT", NOW) == 0.0
    assert retry_after_s("soon") is None and retry_after_s(None) is None
    assert retry_after_s("nan") is None and retry_after_s("-3") is None


def test_redaction_covers_the_forms_of_a_secret() -> None:
    url = "https://hooks.slack.com/services/T0AAA/B0BBB/xoxb+s3cr3t/token?key=k3y-value"
    forms = secret_forms([url, "pa ss/wörd"])
    leaked = f"{url} xoxb%2Bs3cr3t k3y-value pa%20ss%2Fw%C3%B6rd https:\\/\\/hooks"
    redacted = redact(leaked, forms)
    for secret in ("xoxb+s3cr3t", "xoxb%2Bs3cr3t", "k3y-value", "pa%20ss", "T0AAA"):
        assert secret not in redacted
