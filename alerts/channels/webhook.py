"""Webhook channel: POST the incident event as JSON to a URL (a secret: it comes from the
environment). Sends `Idempotency-Key: <dedup key>` so a receiver can drop repeats.
Connection errors, 429 and 5xx are recoverable and retried with backoff; other 4xx are not.
"""

import time

import httpx

from alerts.channels.base import NotifyError, page_text
from schemas.config import WebhookChannelSettings
from schemas.incident import IncidentEvent


class WebhookChannel:
    def __init__(self, name: str, settings: WebhookChannelSettings) -> None:
        self.name = name
        self._settings = settings

    def send(self, event: IncidentEvent) -> None:
        if self._settings.url is None or not self._settings.url.get_secret_value():
            raise NotifyError(
                f"webhook {self.name!r} has no URL: set VEILLE__ALERTS__CHANNELS__"
                f"{self.name.upper()}__URL",
                recoverable=False,
            )
        body: dict[str, object] = {"text": page_text(event), "event": event.model_dump(mode="json")}
        headers = {"Idempotency-Key": event.dedup_key}
        delay = 0.5
        for attempt in range(1, self._settings.max_attempts + 1):
            try:
                self._post(body, headers)
                return
            except NotifyError as exc:
                if not exc.recoverable or attempt == self._settings.max_attempts:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def _post(self, body: dict[str, object], headers: dict[str, str]) -> None:
        assert self._settings.url is not None
        try:
            response = httpx.post(
                self._settings.url.get_secret_value(),
                json=body,
                headers=headers,
                timeout=self._settings.timeout_s,
            )
        except httpx.HTTPError as exc:  # the URL is a secret: name the channel, not the URL
            raise NotifyError(f"webhook {self.name!r}: {type(exc).__name__}", True) from None
        if response.status_code < 300:
            return
        recoverable = response.status_code == 429 or response.status_code >= 500
        raise NotifyError(f"webhook {self.name!r}: HTTP {response.status_code}", recoverable)
