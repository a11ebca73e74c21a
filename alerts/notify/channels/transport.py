"""One HTTP request of a channel, and what its answer means for the notifier.

Contract: `request` sends once (no retry: the notifier's retry stage is the one retry
layer) and returns an `Answer` for a 2xx, or raises `ChannelError`: recoverable for a
timeout, a connection failure, 408, 429 and 5xx (with the provider's `Retry-After` in
`retry_after_s`), not for any other status (400 invalid event, 401/403 bad key, 404 …).
Error messages name the channel, never the URL; the answer text is redacted and cut to
1 KB. While the request runs, httpx's own log records are redacted too (`secrets`).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from alerts.notify.channels.secrets import redact, redacting
from alerts.notify.contract import ChannelError, Delivery

ANSWER_BYTES = 1024
_ERROR_ANSWER_CHARS = 200


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    """Redacted, at most 1 KB."""
    data: Any
    """The answer parsed as JSON, or None."""

    def delivery(self, channel: str, provider_id: str | None = None) -> Delivery:
        return Delivery(channel, self.status, self.text, provider_id)


def request(
    channel: str,
    method: str,
    url: str,
    *,
    secrets: tuple[str, ...],
    timeout_s: float,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    content: bytes | None = None,
    form: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> Answer:
    try:
        with redacting(secrets):
            response = httpx.request(
                method,
                url,
                headers=dict(headers or {}),
                json=json_body,
                content=content,
                data=dict(form) if form is not None else None,
                params=dict(params) if params is not None else None,
                timeout=timeout_s,
            )
    except httpx.TimeoutException:
        raise ChannelError(
            f"{channel}: no answer within {timeout_s:g} s", recoverable=True
        ) from None
    except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        # The exception's text may hold the URL: say only what kind of failure it was.
        raise ChannelError(f"{channel}: {type(exc).__name__}", recoverable=True) from None
    text = answer_text(response.content, secrets)
    status = response.status_code
    if 200 <= status < 300:
        return Answer(status, text, _json(response.content))
    recoverable = status in (408, 429) or status >= 500
    raise ChannelError(
        f"{channel}: HTTP {status}: {text[:_ERROR_ANSWER_CHARS]}",
        recoverable=recoverable,
        retry_after_s=retry_after_s(response.headers.get("Retry-After")) if recoverable else None,
    )


def answer_text(content: bytes, secrets: tuple[str, ...]) -> str:
    text = redact(content.decode("utf-8", errors="replace"), secrets)
    return text.encode()[:ANSWER_BYTES].decode("utf-8", errors="ignore")


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds or an HTTP date; None if absent or
    unreadable; never negative."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit() or value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
