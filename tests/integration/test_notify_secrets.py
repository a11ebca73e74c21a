"""No channel ever shows its secret (as Alertmanager's AssertNotifyLeaksNoSecret checks):
each HTTP channel is made to fail (401, 500, connection refused, timeout) and to succeed,
against a receiver that echoes the secret back in its answer; the routing key / API key /
webhook URL token / gateway credentials never appear in the error, its traceback, the
Delivery, or any log record written meanwhile (httpx logs every URL at INFO)."""

import base64
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from alerts.notify.channels import (
    AppriseChannel,
    OpsgenieChannel,
    PagerDutyChannel,
    SlackChannel,
    SmsChannel,
    WebhookChannel,
)
from alerts.notify.contract import Channel, ChannelError, Delivery
from schemas.config import (
    AppriseChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
    SmsChannelSettings,
    WebhookChannelSettings,
)
from tests.helpers import free_port
from tests.local_http import LocalHttp, Reply
from tests.notifications import notification

pytestmark = pytest.mark.integration

TIMEOUT_S = 0.3
WEBHOOK_KEY = "whsec_" + base64.b64encode(b"webhook-signing-key-SECRET-0008").decode()


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    secrets: tuple[str, ...]
    build: Callable[[str], Channel]
    """The channel, given the receiver's base URL (http://127.0.0.1:PORT)."""


CASES = [
    Case(
        "pagerduty",
        "/v2/enqueue",
        ("pd-routing-key-SECRET-0001",),
        lambda base: PagerDutyChannel(
            "pd",
            PagerDutyChannelSettings(
                routing_key=SecretStr("pd-routing-key-SECRET-0001"),
                api_url=base,
                timeout_s=TIMEOUT_S,
            ),
        ),
    ),
    Case(
        "opsgenie",
        "/v2/alerts",
        ("og-genie-key-SECRET-0002",),
        lambda base: OpsgenieChannel(
            "og",
            OpsgenieChannelSettings(
                api_key=SecretStr("og-genie-key-SECRET-0002"), api_url=base, timeout_s=TIMEOUT_S
            ),
        ),
    ),
    Case(
        "slack",
        "/services/T0/B0/slack-token-SECRET-0003",
        ("slack-token-SECRET-0003",),
        lambda base: SlackChannel(
            "slack",
            SlackChannelSettings(
                webhook_url=SecretStr(base + "/services/T0/B0/slack-token-SECRET-0003"),
                timeout_s=TIMEOUT_S,
            ),
        ),
    ),
    Case(
        "sms",
        "/send/sms-path-SECRET-0004",
        ("sms-path-SECRET-0004", "sms-auth-SECRET-0005"),
        lambda base: SmsChannel(
            "sms",
            SmsChannelSettings(
                url=SecretStr(base + "/send/sms-path-SECRET-0004"),
                auth_value=SecretStr("Bearer sms-auth-SECRET-0005"),
                timeout_s=TIMEOUT_S,
            ),
        ),
    ),
    Case(
        "webhook",
        "/hooks/webhook-path-SECRET-0007",
        ("webhook-path-SECRET-0007", WEBHOOK_KEY),
        lambda base: WebhookChannel(
            "hook",
            WebhookChannelSettings(
                url=SecretStr(base + "/hooks/webhook-path-SECRET-0007"),
                secret=SecretStr(WEBHOOK_KEY),
                timeout_s=TIMEOUT_S,
            ),
        ),
    ),
    Case(
        "apprise",
        "/hook/apprise-token-SECRET-0006",
        ("apprise-token-SECRET-0006",),
        lambda base: AppriseChannel(
            "tail",
            AppriseChannelSettings(
                urls=[
                    SecretStr(
                        base.replace("http://", "json://")
                        + f"/hook/apprise-token-SECRET-0006?cto={TIMEOUT_S}&rto={TIMEOUT_S}"
                    )
                ]
            ),
        ),
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalHttp]:
    local = LocalHttp()
    yield local
    local.close()


def echo(status: int, case: Case, delay_s: float = 0.0) -> Reply:
    body = ("error: " + " ".join(case.secrets) + " is not valid").encode()
    return Reply(status, body, delay_s=delay_s)


def assert_no_secret(case: Case, texts: list[str]) -> None:
    for secret in case.secrets:
        for value in texts:
            assert secret not in value, f"{case.name} leaked {secret!r} in {value!r}"


@pytest.mark.parametrize("mode", ["401", "500", "refused", "timeout"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_failing_channel_leaks_no_secret(
    server: LocalHttp, caplog: pytest.LogCaptureFixture, case: Case, mode: str
) -> None:
    caplog.set_level(logging.DEBUG)
    base = f"http://127.0.0.1:{free_port()}" if mode == "refused" else server.base
    replies = {"401": echo(401, case), "500": echo(500, case), "timeout": echo(200, case, 1.5)}
    if mode in replies:
        server.route(case.path, replies[mode])
    with pytest.raises(ChannelError) as caught:
        case.build(base).send(notification())
    error = caught.value
    assert error.recoverable is (mode != "401") or case.name == "apprise"  # apprise: no status
    # The library's exception (whose text may hold the URL) is never chained.
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert_no_secret(
        case,
        [str(error), repr(error), "".join(traceback.format_exception(error)), caplog.text]
        + [str(record.__dict__) for record in caplog.records],
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_delivery_leaks_no_secret(
    server: LocalHttp, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "apprise"):  # a CLI run earlier in the session may have quietened them
        caplog.set_level(logging.DEBUG, logger=name)
    server.route(case.path, echo(200, case))
    delivery = case.build(server.base).send(notification())
    assert isinstance(delivery, Delivery)
    assert_no_secret(case, [repr(delivery), caplog.text])
    # Not vacuous: the libraries did log this request (httpx its URL, apprise its target).
    assert {record.name for record in caplog.records} & {"httpx", "apprise"}
