"""The HTTP channels against a real local receiver: the exact PagerDuty v2, Opsgenie,
Slack, SMS-gateway and apprise requests, and how each answer is classified."""

import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr

from alerts.notify.channels import (
    AppriseChannel,
    OpsgenieChannel,
    PagerDutyChannel,
    SlackChannel,
    SmsChannel,
)
from alerts.notify.channels.pagerduty import pagerduty_event
from alerts.notify.channels.slack import slack_message
from alerts.notify.contract import ChannelError
from schemas.config import (
    AppriseChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
    SmsChannelSettings,
)
from tests.local_http import LocalHttp, Reply
from tests.notifications import LINK, assert_neutralised, notification

pytestmark = pytest.mark.integration

ROUTING_KEY = "R0UTINGKEY0123456789abcdef012345"
GENIE_KEY = "eb243592-faa2-4ba2-a551q-1afdf565c889"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalHttp]:
    local = LocalHttp()
    yield local
    local.close()


@pytest.fixture
def http(server: LocalHttp) -> LocalHttp:
    server.routes.clear()
    server.requests.clear()
    return server


def pagerduty(http: LocalHttp) -> PagerDutyChannel:
    settings = PagerDutyChannelSettings(routing_key=SecretStr(ROUTING_KEY), api_url=http.base)
    return PagerDutyChannel("pd", settings)


def test_pagerduty_trigger_request(http: LocalHttp) -> None:
    answer = {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "inc0123456789abcdef0123",
    }
    http.route("/v2/enqueue", Reply(202, json.dumps(answer).encode()))
    delivery = pagerduty(http).send(notification())
    [hit] = http.hits("/v2/enqueue")
    assert hit.method == "POST" and hit.headers["Content-Type"] == "application/json"
    assert json.loads(hit.body) == pagerduty_event(notification(), ROUTING_KEY, "veille")
    assert json.loads(hit.body)["routing_key"] == ROUTING_KEY
    assert (delivery.channel, delivery.status, delivery.provider_id) == (
        "pd",
        202,
        "inc0123456789abcdef0123",
    )
    assert "Event processed" in delivery.answer
    assert_neutralised(hit.body.decode())


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_pagerduty_acknowledge_and_resolve_requests(http: LocalHttp, action: str) -> None:
    http.route("/v2/enqueue", Reply(202, b'{"status":"success"}'))
    pagerduty(http).send(notification(action=action))
    assert json.loads(http.hits("/v2/enqueue")[0].body) == {
        "routing_key": ROUTING_KEY,
        "event_action": action,
        "dedup_key": "inc0123456789abcdef0123",
    }


@pytest.mark.parametrize(
    ("reply", "recoverable", "retry_after"),
    [
        (
            Reply(400, b'{"status":"invalid event","errors":["payload.summary missing"]}'),
            False,
            None,
        ),
        (Reply(429, b"{}", {"Retry-After": "7"}), True, 7.0),
        (Reply(500, b"oops"), True, None),
        (Reply(503, b"", {"Retry-After": "30"}), True, 30.0),
    ],
)
def test_pagerduty_answers_are_classified(
    http: LocalHttp, reply: Reply, recoverable: bool, retry_after: float | None
) -> None:
    http.route("/v2/enqueue", reply)
    with pytest.raises(ChannelError) as caught:
        pagerduty(http).send(notification())
    assert caught.value.recoverable is recoverable
    assert caught.value.retry_after_s == retry_after
    assert f"HTTP {reply.status}" in str(caught.value)
    assert len(http.hits("/v2/enqueue")) == 1  # the channel never retries by itself


def opsgenie(http: LocalHttp) -> OpsgenieChannel:
    return OpsgenieChannel(
        "og", OpsgenieChannelSettings(api_key=SecretStr(GENIE_KEY), api_url=http.base)
    )


def test_opsgenie_create_acknowledge_close(http: LocalHttp) -> None:
    accepted = Reply(202, b'{"result":"Request will be processed","took":0.3,"requestId":"req-1"}')
    alias = "inc0123456789abcdef0123"
    for path in ("/v2/alerts", f"/v2/alerts/{alias}/acknowledge", f"/v2/alerts/{alias}/close"):
        http.route(path, accepted)
    channel = opsgenie(http)
    created = channel.send(notification())
    channel.send(notification(action="acknowledge"))
    channel.send(notification(action="resolve"))
    create, ack, close = http.requests
    assert create.path == "/v2/alerts" and create.query == {}
    body = json.loads(create.body)
    assert body["alias"] == alias and body["priority"] == "P1"
    assert body["message"] == "[CRITIQUE] Crise — acme (agence-a)"
    assert LINK in body["description"]
    assert_neutralised(create.body.decode("unicode_escape"))
    for hit in (create, ack, close):
        assert hit.method == "POST"
        assert hit.headers["Authorization"] == f"GenieKey {GENIE_KEY}"
    assert ack.path.endswith("/acknowledge") and ack.query == {"identifierType": ["alias"]}
    assert close.path.endswith("/close") and close.query == {"identifierType": ["alias"]}
    assert json.loads(close.body)["user"] == "veille"
    assert created.provider_id == "req-1" and created.status == 202


def test_opsgenie_answers_are_classified(http: LocalHttp) -> None:
    http.route("/v2/alerts", Reply(422, b'{"message":"Request body is not processable"}'))
    with pytest.raises(ChannelError) as caught:
        opsgenie(http).send(notification())
    assert not caught.value.recoverable and "Request body is not processable" in str(caught.value)
    http.route("/v2/alerts", Reply(429, b"", {"Retry-After": "2"}))
    with pytest.raises(ChannelError) as caught:
        opsgenie(http).send(notification())
    assert caught.value.recoverable and caught.value.retry_after_s == 2.0


def test_slack_webhook_request(http: LocalHttp) -> None:
    path = "/services/T000/B000/XXXXsecretXXXX"
    http.route(path, Reply(200, b"ok"))
    url = SecretStr(http.base + path)
    delivery = SlackChannel("slack", SlackChannelSettings(webhook_url=url)).send(notification())
    [hit] = http.hits(path)
    assert hit.headers["Content-Type"] == "application/json"
    assert json.loads(hit.body) == slack_message(notification())
    assert (delivery.status, delivery.answer) == (200, "ok")
    assert_neutralised(json.loads(hit.body)["blocks"][2]["text"]["text"], markup=True)


@pytest.mark.parametrize(
    ("status", "recoverable"), [(403, False), (404, False), (410, False), (429, True), (502, True)]
)
def test_slack_answers_are_classified(http: LocalHttp, status: int, recoverable: bool) -> None:
    http.route("/hook", Reply(status, b"invalid_token"))
    channel = SlackChannel(
        "slack", SlackChannelSettings(webhook_url=SecretStr(http.base + "/hook"))
    )
    with pytest.raises(ChannelError) as caught:
        channel.send(notification())
    assert caught.value.recoverable is recoverable


def sms(http: LocalHttp, **settings: object) -> SmsChannel:
    return SmsChannel(
        "sms",
        SmsChannelSettings(
            url=SecretStr(http.base + "/sms"), auth_value=SecretStr("Bearer s3cr3t-sms"), **settings
        ),  # type: ignore[arg-type]
    )


def test_sms_gateway_json(http: LocalHttp) -> None:
    http.route("/sms", Reply(201, b'{"id":"msg-9"}'))
    sms(http, body={"to": "{to}", "message": "{text}", "from": "veille"}).send(notification())
    [hit] = http.hits("/sms")
    body = json.loads(hit.body)
    assert hit.headers["Authorization"] == "Bearer s3cr3t-sms"
    assert body["to"] == "+33612345678" and body["from"] == "veille"
    assert body["message"].startswith("[CRITIQUE] Crise - acme (agence-a) : 48 mentions négatives")
    assert body["message"].endswith(LINK) and len(body["message"]) <= 160


def test_sms_gateway_form_and_get(http: LocalHttp) -> None:
    http.route("/sms", Reply(200, b"OK"))
    sms(http, encoding="form", auth_header="X-Api-Key").send(notification())
    sms(http, method="GET", body={"dest": "{to}", "msg": "{text}"}).send(notification())
    form, get = http.hits("/sms")
    assert form.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form.headers["X-Api-Key"] == "Bearer s3cr3t-sms"
    assert parse_qs(form.body.decode())["to"] == ["+33612345678"]
    assert get.method == "GET" and get.query["dest"] == ["+33612345678"]
    assert get.query["msg"][0].endswith(LINK)


def test_sms_without_a_phone_number_is_not_recoverable(http: LocalHttp) -> None:
    with pytest.raises(ChannelError) as caught:
        sms(http).send(notification(recipient=None))
    assert not caught.value.recoverable and http.requests == []


def test_apprise_json_target(http: LocalHttp) -> None:
    http.route("/notify/t0ken-apprise", Reply(200, b"{}"))
    url = http.base.replace("http://", "json://") + "/notify/t0ken-apprise"
    delivery = AppriseChannel("long-tail", AppriseChannelSettings(urls=[SecretStr(url)])).send(
        notification()
    )
    [hit] = http.hits("/notify/t0ken-apprise")
    body = json.loads(hit.body)
    assert body["title"] == "[CRITIQUE] Crise — acme (agence-a)"
    assert body["type"] == "failure"
    assert "×6,2 le niveau habituel" in body["message"] and LINK in body["message"]
    assert_neutralised(body["message"])
    assert delivery.answer == "sent to 1 target(s)"


def test_apprise_failures(http: LocalHttp) -> None:
    http.route("/ok", Reply(200, b"{}"))
    http.route("/down", Reply(500, b"down"))
    base = http.base.replace("http://", "json://")
    urls = [SecretStr(base + "/ok"), SecretStr(base + "/down")]
    with pytest.raises(ChannelError) as caught:
        AppriseChannel("tail", AppriseChannelSettings(urls=urls)).send(
            notification(action="resolve")
        )
    assert caught.value.recoverable and "#2 of 2" in str(caught.value)
    assert json.loads(http.hits("/ok")[0].body)["type"] == "success"
    with pytest.raises(ChannelError) as caught:
        AppriseChannel("tail", AppriseChannelSettings(urls=[SecretStr("nosuchscheme://x")])).send(
            notification()
        )
    assert not caught.value.recoverable
