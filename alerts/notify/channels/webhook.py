"""Webhook channel: POST the notification as JSON, signed as Standard Webhooks
(https://www.standardwebhooks.com, the `standardwebhooks` package), so a receiver can verify
it and de-duplicate it: `webhook-id` is the notification id (the same for a repeat after a
crash), `webhook-timestamp` the send time, `webhook-signature` `v1,<HMAC-SHA256>` of
`id.timestamp.body` with the channel's secret.

Body: `{"type": "incident.trigger" | "incident.acknowledge" | "incident.resolve" |
"source_health.info" | "response_overdue.info" | "response_overdue.trigger", "timestamp":
ISO-8601, "data": {notification_id, action, tenant, step, recipient, reason, link, text,
also_notified, incident, grouped, health, overdue}}`; `grouped`: the tenant's other incidents
told in the same message (group_wait), each like `incident`; `overdue`: a team's posts past
their due time (schemas.reply_record.OverdueDigest).

The URL and the secret come from the environment (`VEILLE__ALERTS__CHANNELS__<ID>__URL`,
`…__SECRET`) and never appear in an error, the Delivery or a log line (the request goes
through `transport.request`, which redacts httpx's own records of the URL). Connection
errors, 408, 429 (with Retry-After) and 5xx are recoverable; other 4xx are not. One attempt
per call: the notifier retries.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from alerts.notify.channels.secrets import secret_forms
from alerts.notify.channels.transport import request
from alerts.notify.contract import ChannelError, Delivery, Notification
from alerts.notify.text import page_text
from schemas.config import WebhookChannelSettings


def webhook_body(notification: Notification, now: datetime) -> dict[str, Any]:
    kind = "incident"
    if notification.health is not None:
        kind = "source_health"
    elif notification.overdue is not None:
        kind = "response_overdue"
    recipient = notification.recipient
    return {
        "type": f"{kind}.{notification.action}",
        "timestamp": now.isoformat(),
        "data": {
            "notification_id": notification.id,
            "action": notification.action,
            "tenant": notification.tenant,
            "step": notification.step,
            "recipient": None
            if recipient is None
            else {"id": recipient.id, "name": recipient.name},
            "reason": notification.reason,
            "link": notification.link,
            "text": page_text(notification),
            "also_notified": list(notification.also_notified),
            "incident": None if notification.incident is None
            else notification.incident.model_dump(mode="json"),
            "grouped": [other.model_dump(mode="json") for other in notification.grouped],
            "health": None if notification.health is None
            else notification.health.model_dump(mode="json"),
            "overdue": None if notification.overdue is None
            else notification.overdue.model_dump(mode="json"),
        },
    }  # fmt: skip


class WebhookChannel:
    deduplicates = True  # webhook-id: the receiver drops a second copy

    def __init__(
        self,
        name: str,
        settings: WebhookChannelSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self._settings = settings
        self._clock = clock

    def _variable(self, field: str) -> str:
        return f"VEILLE__ALERTS__CHANNELS__{self.name.upper()}__{field}"

    def send(self, notification: Notification) -> Delivery:
        url, secret = self._settings.url, self._settings.secret
        if url is None or not url.get_secret_value():
            raise ChannelError(f"webhook {self.name!r} has no URL: set {self._variable('URL')}",
                               recoverable=False)  # fmt: skip
        if secret is None or not secret.get_secret_value():
            raise ChannelError(
                f"webhook {self.name!r} has no signing secret: set {self._variable('SECRET')}"
                " ('whsec_' + base64 key)", recoverable=False,
            )  # fmt: skip
        now = self._clock()
        body = json.dumps(webhook_body(notification, now), ensure_ascii=False)
        try:
            signature = Webhook(secret.get_secret_value()).sign(notification.id, now, body)
        except Exception:  # never echo the key
            raise ChannelError(f"webhook {self.name!r}: invalid signing secret",
                               recoverable=False) from None  # fmt: skip
        headers = {
            "content-type": "application/json",
            "webhook-id": notification.id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        answer = request(
            self.name,
            "POST",
            url.get_secret_value(),
            secrets=secret_forms([url.get_secret_value(), secret.get_secret_value()]),
            timeout_s=self._settings.timeout_s,
            headers=headers,
            content=body.encode(),
        )
        return answer.delivery(self.name)
