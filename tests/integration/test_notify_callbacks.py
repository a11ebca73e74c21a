"""Provider callbacks through real HTTP against the notifier's web app on 127.0.0.1: a signed
Slack button acknowledges, a signed PagerDuty v3 webhook resolves (its replay, same
`X-Webhook-Id`, is absorbed), Opsgenie's token acknowledges; a bad signature is 401 and
changes nothing. Each publishes the IncidentResponse the CLI publishes."""

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from schemas.response import IncidentResponse
from schemas.topics import Topics
from tests.helpers import free_port, read_topic, wait_until, workers
from tests.integration.test_notify import (
    SATURDAY_NIGHT,
    FakeClock,
    incident,
    notifier,
    notify_config,
    publish,
)
from tests.local_http import LocalHttp, Reply
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

SLACK_SECRET = "slack-signing-secret-0123456789"
PD_SECRET = "pagerduty-webhook-secret-0123456789"
OG_TOKEN = "opsgenie-callback-token-0123456789"


@pytest.fixture
def http() -> Iterator[LocalHttp]:
    server = LocalHttp()
    for path in ("/a", "/b", "/slack", "/v2/enqueue", "/v2/alerts"):
        server.route(path, Reply(202))
    yield server
    server.close()


def slack_request(payload: dict[str, Any], secret: str, timestamp: int) -> dict[str, Any]:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    base = b"v0:" + str(timestamp).encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"content": body, "headers": {
        "X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature,
        "content-type": "application/x-www-form-urlencoded"}}  # fmt: skip


def pagerduty_request(incident_id: str, webhook_id: str) -> dict[str, Any]:
    body = json.dumps({"event": {"id": "ev-1", "event_type": "incident.resolved", "agent": {
        "summary": "Karim Benali"}, "data": {"incident_key": incident_id}}}).encode()  # fmt: skip
    signature = "v1=" + hmac.new(PD_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"content": body, "headers": {"X-PagerDuty-Signature": signature,
                                         "X-Webhook-Id": webhook_id}}  # fmt: skip


def test_each_provider_callback_answers_in_veille(stack: EmbeddedStack, http: LocalHttp) -> None:
    port = free_port()
    clock = FakeClock(SATURDAY_NIGHT)
    config = notify_config(
        stack, http, web={"listen_port": port, "public_url": f"http://127.0.0.1:{port}"}
    )
    config.alerts.channels.update(config.alerts.model_validate({"channels": {
        "slack": {"type": "slack", "webhook_url": f"{http.base}/slack",
                  "signing_secret": SLACK_SECRET},
        "pd": {"type": "pagerduty", "routing_key": "R0UTING-KEY-0123", "api_url": http.base,
               "webhook_secret": PD_SECRET},
        "og": {"type": "opsgenie", "api_key": "G3NIE-KEY-0123", "api_url": http.base,
               "callback_token": OG_TOKEN},
    }}).channels)  # fmt: skip
    config.alerts.routes.append(
        config.alerts.routes[0].model_copy(update={"channels": ["slack", "pd", "og"]})
    )
    slack_inc, pd_inc, og_inc = (incident(brand=b) for b in ("air-volaris", "b2", "b3"))
    url = f"http://127.0.0.1:{port}/callbacks"
    with workers(config, "notify", builders=notifier(clock)) as running:
        publish(config, slack_inc, pd_inc, og_inc)
        wait_until(lambda: http.hits("/slack"), timeout_s=60, what="the (grouped) page")
        stage = running.workers["notify"].stage
        wait_until(lambda: len(stage.threads()) == 3, what="three threads")

        def status(incident_id: str) -> str:
            return next(t.status for t in stage.threads() if t.incident_id == incident_id)

        press = {
            "type": "block_actions",
            "trigger_id": "tr-1",
            "user": {"username": "lea"},
            "actions": [{"action_id": "veille_acknowledge", "value": slack_inc.id}],
        }
        now = int(clock.now().timestamp())
        forged = httpx.post(f"{url}/slack", **slack_request(press, "not-the-secret", now))
        assert forged.status_code == 401
        stale = httpx.post(f"{url}/slack", **slack_request(press, SLACK_SECRET, now - 600))
        assert stale.status_code == 401  # outside Slack's 300 s window
        assert status(slack_inc.id) == "open"
        signed = httpx.post(f"{url}/slack", **slack_request(press, SLACK_SECRET, now))
        assert (signed.status_code, signed.text) == (200, "ok")
        wait_until(lambda: status(slack_inc.id) == "acknowledged", what="the Slack ack")

        bad = pagerduty_request(pd_inc.id, "wh-1")
        bad["headers"]["X-PagerDuty-Signature"] = "v1=" + "0" * 64
        assert httpx.post(f"{url}/pd", **bad).status_code == 401
        first = httpx.post(f"{url}/pd", **pagerduty_request(pd_inc.id, "wh-1"))
        assert (first.status_code, first.text) == (200, "ok")
        replay = httpx.post(f"{url}/pd", **pagerduty_request(pd_inc.id, "wh-1"))
        assert (replay.status_code, replay.text) == (200, "already received")
        wait_until(lambda: status(pd_inc.id) == "resolved", what="the PagerDuty resolve")

        og_body = json.dumps(
            {
                "action": "Acknowledge",
                "alert": {
                    "alias": og_inc.id,
                    "alertId": "a-1",
                    "username": "jo@x.fr",
                    "updatedAt": 17,
                },
            }
        )
        wrong = httpx.post(f"{url}/og", content=og_body, headers={"X-Veille-Token": "nope"})
        assert wrong.status_code == 401
        ok = httpx.post(f"{url}/og", content=og_body, headers={"X-Veille-Token": OG_TOKEN})
        assert (ok.status_code, ok.text) == (200, "ok")
        wait_until(lambda: status(og_inc.id) == "acknowledged", what="the Opsgenie ack")
        assert httpx.post(f"{url}/console", content=b"{}").status_code == 404

    responses = [IncidentResponse.model_validate_json(v) for v in
                 read_topic(config, Topics(config.kafka.topic_prefix).responses, 3)]  # fmt: skip
    assert sorted((r.incident_id, r.action, r.via, r.by) for r in responses) == sorted([
        (slack_inc.id, "acknowledge", "slack", "lea"),
        (pd_inc.id, "resolve", "pagerduty", "Karim Benali"),
        (og_inc.id, "acknowledge", "opsgenie", "jo@x.fr"),
    ])  # one each: the replayed webhook published nothing  # fmt: skip
