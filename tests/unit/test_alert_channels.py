"""Routing, and the webhook channel against a real HTTP server on 127.0.0.1."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.channels import NotifyError, WebhookChannel
from alerts.notify_log import NotifyLog
from alerts.routing import channels_for
from schemas.config import AlertsSettings, WebhookChannelSettings
from schemas.incident import Incident, IncidentEvent


class Endpoint:
    """Answers each POST with the next status of `statuses` (then 204)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.keys: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.keys.append(self.headers["Idempotency-Key"])
                status = endpoint.statuses.pop(0) if endpoint.statuses else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def event() -> IncidentEvent:
    at = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)
    incident = Incident(
        id="inc-1", tenant="t", brand="b", kind="crisis", status="open", severity="warning",
        trigger="negative_acceleration", opened_at=at, updated_at=at, window_minutes=10,
        count=12, stories=11, signal=13.2, baseline=0.5, peak_signal=13.2, negative_share=0.9,
        summary="12 negative mentions (11 stories) in 10 min, ×26 the usual for Saturday 23:00",
    )  # fmt: skip
    return IncidentEvent(event="opened", at=at, incident=incident, emitted_at=at)


@pytest.fixture
def endpoint_factory() -> Iterator[type[Endpoint]]:
    made: list[Endpoint] = []

    class Made(Endpoint):
        def __init__(self, statuses: list[int]) -> None:
            super().__init__(statuses)
            made.append(self)

    yield Made
    for endpoint in made:
        endpoint.server.shutdown()
        endpoint.server.server_close()


def channel(url: str) -> WebhookChannel:
    return WebhookChannel("oncall", WebhookChannelSettings(url=url, max_attempts=3, timeout_s=2))


def test_webhook_retries_recoverable_failures(event: IncidentEvent, endpoint_factory) -> None:  # type: ignore[no-untyped-def]
    endpoint = endpoint_factory([503, 429])
    channel(endpoint.url).send(event)
    assert endpoint.keys == [event.dedup_key] * 3


def test_webhook_does_not_retry_a_client_error(event: IncidentEvent, endpoint_factory) -> None:  # type: ignore[no-untyped-def]
    endpoint = endpoint_factory([400])
    with pytest.raises(NotifyError) as error:
        channel(endpoint.url).send(event)
    assert not error.value.recoverable
    assert len(endpoint.keys) == 1
    assert "secret-token" not in str(error.value)  # the URL is a secret


def test_webhook_gives_up_after_max_attempts(event: IncidentEvent, endpoint_factory) -> None:  # type: ignore[no-untyped-def]
    endpoint = endpoint_factory([500, 500, 500, 500])
    with pytest.raises(NotifyError) as error:
        channel(endpoint.url).send(event)
    assert error.value.recoverable and len(endpoint.keys) == 3


@pytest.mark.parametrize("url", [None, ""])
def test_webhook_without_url_says_which_variable_to_set(event: IncidentEvent, url: str) -> None:
    with pytest.raises(NotifyError, match="VEILLE__ALERTS__CHANNELS__ONCALL__URL") as error:
        WebhookChannel("oncall", WebhookChannelSettings(url=url)).send(event)
    assert not error.value.recoverable  # does not block the stream


def test_routes_pick_channels_by_tenant_and_brand() -> None:
    settings = AlertsSettings.model_validate({
        "channels": {"a": {"type": "console"}, "b": {"type": "console"}, "c": {"type": "console"}},
        "routes": [
            {"tenant": "*", "channels": ["a"]},
            {"tenant": "acme", "brands": ["volaris"], "channels": ["b", "a"]},
            {"tenant": "other", "channels": ["c"]},
        ],
    })  # fmt: skip
    assert channels_for(settings, "acme", "volaris") == ["a", "b"]
    assert channels_for(settings, "acme", "lumen") == ["a"]
    assert channels_for(settings, "other", "x") == ["a", "c"]


def test_notify_log_forgets_oldest_beyond_capacity() -> None:
    log = NotifyLog(capacity=2)
    for key in ["k1", "k2", "k3"]:
        log.record(key)
    assert "k1" not in log and "k2" in log and "k3" in log
