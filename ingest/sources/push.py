"""HTTP push: `POST /ingest/{tenant}` for data providers and agencies' own tools.

Request: `Authorization: Bearer <the tenant's token>` (ingest.push.tokens, from the
environment), a JSON body that is one IncomingPost (schemas/mention.py) or a list of them.
The posts are matched against that tenant's brand queries only and produced like any
source's items (source `push-<tenant>`, kind `push`; dedup by post id and canonical URL).

Answers: 202 {"accepted": posts, "mentions": produced} once the mentions are durable in
Kafka (acks=all) — never before, so a 202 means nothing can be lost; 400 with the first
validation problems, or a post whose `published_at` the event-time rule refuses
(`N.published_at: why`, schemas/event_time.py: nothing of that request is stored); 401
without a valid token (compared in constant time); 404 for an unknown tenant or path; 413
over `max_body_bytes` or `max_posts`; 503 with Retry-After when
Kafka did not take the batch (the client sends it again; ids make the repeat harmless).
"""

import hmac
import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from ingest.sources.base import FeedItem, Origin
from ingest.sources.replay import post_item
from schemas.config import EventTimeSettings, PushSettings
from schemas.event_time import event_time_problem
from schemas.mention import IncomingPost

log = logging.getLogger(__name__)

_POSTS = TypeAdapter(list[IncomingPost])


class PushedSource:
    """The Origin of one tenant's pushed posts."""

    kind = "push"

    def __init__(self, tenant: str) -> None:
        self.id = f"push-{tenant}"  # seen ids are per tenant: two tenants may push post "42"
        self.tenants: set[str] | None = {tenant}


class Deliverer(Protocol):
    """Delivers a tenant's posts durably (ingest/intake.py); raises if Kafka did not take them."""

    def deliver_items(self, origin: Origin, items: list[FeedItem]) -> int: ...


class PushServer:
    def __init__(
        self,
        settings: PushSettings,
        event_time: EventTimeSettings,
        tenants: set[str],
        sink: Deliverer,
    ) -> None:
        self._settings = settings
        self._event_time = event_time
        self._tenants = tenants
        self._sink = sink
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                status, body, headers = server.handle(self.path, dict(self.headers), self)
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.http = ThreadingHTTPServer((settings.host, settings.port), Handler)
        self.http.daemon_threads = True
        self.url = f"http://{settings.host}:{self.http.server_address[1]}"

    def handle(
        self, path: str, headers: dict[str, str], request: BaseHTTPRequestHandler
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        length = int(headers.get("Content-Length") or 0)
        if length > self._settings.max_body_bytes:
            request.close_connection = True  # the body is not read: the connection ends
            return 413, {"error": f"body over {self._settings.max_body_bytes} bytes"}, {}
        raw = request.rfile.read(length)  # read before any answer: keep-alive stays in sync
        parts = path.split("?")[0].strip("/").split("/")
        if len(parts) != 2 or parts[0] != "ingest" or parts[1] not in self._tenants:
            return 404, {"error": "unknown path or tenant"}, {}
        tenant = parts[1]
        token = self._settings.tokens.get(tenant)
        given = headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token is None or not hmac.compare_digest(
            given.encode(), token.get_secret_value().encode()
        ):
            return 401, {"error": "missing or wrong token"}, {"WWW-Authenticate": "Bearer"}
        try:
            data = json.loads(raw)
            posts = _POSTS.validate_python(data if isinstance(data, list) else [data])
        except ValueError as exc:
            problems = (
                [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]]
                if isinstance(exc, ValidationError)
                else [str(exc)]
            )
            return 400, {"error": "invalid posts", "problems": problems}, {}
        if len(posts) > self._settings.max_posts:
            return 413, {"error": f"more than {self._settings.max_posts} posts"}, {}
        dated = self._misdated(posts, datetime.now(UTC))
        if dated:
            return 400, {"error": "invalid posts", "problems": dated}, {}
        items = [post_item(p, None) for p in posts]
        try:
            produced = self._sink.deliver_items(PushedSource(tenant), items)
        except Exception as exc:
            log.warning(
                "push: %s: %d post(s) not durable, client told to retry: %s",
                tenant,
                len(posts),
                exc,
            )
            return 503, {"error": "not stored, retry"}, {"Retry-After": "5"}
        return 202, {"accepted": len(posts), "mentions": produced}, {}

    def _misdated(self, posts: list[IncomingPost], received_at: datetime) -> list[str]:
        """`N.published_at: why` for the first posts the event-time rule refuses."""
        problems = (
            (n, event_time_problem(p.published_at, received_at, self._event_time))
            for n, p in enumerate(posts)
        )
        return [f"{n}.published_at: {why}" for n, why in problems if why][:5]

    def serve(self, stop: threading.Event) -> None:
        thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        thread.start()
        log.info("push: listening on %s", self.url)
        stop.wait()
        self.http.shutdown()
        self.http.server_close()
