"""POST /callbacks/{channel}: what a provider tells veille back, for the channel of that name
(its secret authenticates the request): Slack's interactive buttons (`X-Slack-Signature`,
300 s window), PagerDuty v3 webhooks (`X-PagerDuty-Signature`), Opsgenie's webhook
(`X-Veille-Token`). Point the provider at `{public_url}/callbacks/<channel id>`.

An accepted action publishes the same IncidentResponse as the CLI and the incident page
(alerts/notify/responses.py), `via` the provider. Answers: 401 bad or missing signature
(nothing is read), 400 a body veille cannot read, 404 an unknown channel or incident, 403 an
incident of a tenant whose routes do not use this channel, 200 otherwise — also for an event
veille does not act on and for a repeat of a delivery already received (its id — PagerDuty's
`X-Webhook-Id`, Slack's `trigger_id`, Opsgenie's alert/action/update — is claimed once, in
the notification log, before publishing), so the provider stops retrying it.
"""

from collections.abc import Callable, Mapping
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from alerts.notify.callbacks import (
    CallbackRejected,
    ProviderAction,
    parse_opsgenie_callback,
    parse_pagerduty_webhook,
    verify_opsgenie_callback,
    verify_pagerduty_webhook,
)
from alerts.notify.channels.slack import parse_slack_action, verify_slack_request
from alerts.notify.log import NotificationLog
from alerts.notify.responses import make_response, publish_response
from runtime.kafka import DurableProducer
from schemas.config import (
    AlertsSettings,
    AnyChannelSettings,
    OpsgenieChannelSettings,
    PagerDutyChannelSettings,
    SlackChannelSettings,
)
from schemas.topics import Topics

CallbackChannel = SlackChannelSettings | PagerDutyChannelSettings | OpsgenieChannelSettings


def _secret(settings: CallbackChannel) -> str:
    if isinstance(settings, SlackChannelSettings):
        value = settings.signing_secret
    elif isinstance(settings, PagerDutyChannelSettings):
        value = settings.webhook_secret
    else:
        value = settings.callback_token
    return value.get_secret_value() if value is not None else ""


def authentic(
    settings: CallbackChannel, body: bytes, headers: Mapping[str, str], now: datetime
) -> bool:
    """The request is signed (Slack, PagerDuty) or carries the token (Opsgenie) of this
    channel's secret; always False while the secret is unset."""
    secret = _secret(settings)
    if isinstance(settings, SlackChannelSettings):
        return verify_slack_request(body, headers, secret, now)
    if isinstance(settings, PagerDutyChannelSettings):
        return verify_pagerduty_webhook(body, headers, secret)
    return verify_opsgenie_callback(headers, secret)


def parsed_action(
    settings: CallbackChannel, body: bytes, headers: Mapping[str, str]
) -> ProviderAction | None:
    """The action, None for an event veille does not act on; raises CallbackRejected."""
    if isinstance(settings, SlackChannelSettings):
        return parse_slack_action(body)
    if isinstance(settings, PagerDutyChannelSettings):
        return parse_pagerduty_webhook(body, headers)
    return parse_opsgenie_callback(body)


def add_callback_routes(
    app: FastAPI,
    alerts: AlertsSettings,
    notification_log: NotificationLog,
    producer: DurableProducer,
    topics: Topics,
    clock: Callable[[], datetime],
) -> None:
    def channel_settings(name: str) -> CallbackChannel | None:
        settings: AnyChannelSettings | None = alerts.channels.get(name)
        callback_types = (SlackChannelSettings, PagerDutyChannelSettings, OpsgenieChannelSettings)
        return settings if isinstance(settings, callback_types) else None

    def routed_for(channel: str, tenant: str) -> bool:
        return (
            any(
                channel in route.channels and route.tenant in ("*", tenant)
                for route in alerts.routes
            )
            or channel in alerts.notify.operator_channels
        )

    def handle(channel: str, body: bytes, headers: Mapping[str, str]) -> PlainTextResponse:
        settings = channel_settings(channel)
        if settings is None:
            return PlainTextResponse("unknown callback channel", 404)
        now = clock()
        if not authentic(settings, body, headers, now):
            return PlainTextResponse("bad signature", 401)
        try:
            action = parsed_action(settings, body, headers)
        except CallbackRejected as exc:
            return PlainTextResponse(f"rejected: {exc}", 400)
        if action is None:
            return PlainTextResponse("ignored")
        thread = notification_log.find_thread(action.incident_id)
        if thread is None:
            return PlainTextResponse("unknown incident", 404)
        if not routed_for(channel, thread.tenant):
            return PlainTextResponse("this channel does not serve that tenant", 403)
        nonce = f"{action.provider}:{channel}:{action.delivery_id or now.isoformat()}"
        use = {"action": action.action, "by": action.by, "at": now.isoformat()}
        if action.delivery_id and not notification_log.claim_link(thread.tenant, nonce, use):
            return PlainTextResponse("already received")
        response = make_response(action.action, thread.incident_id, thread.tenant, thread.brand,
                                 action.by, action.provider, nonce, now)  # fmt: skip
        publish_response(producer, topics, response)
        return PlainTextResponse("ok")

    @app.post("/callbacks/{channel}", response_class=PlainTextResponse)
    async def callback(channel: str, request: Request) -> PlainTextResponse:
        body = await request.body()
        result: PlainTextResponse = await run_in_threadpool(
            handle, channel, body, dict(request.headers)
        )
        return result
