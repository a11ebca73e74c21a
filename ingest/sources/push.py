"""HTTP push: `POST /ingest/{tenant}` for data providers and agencies' own tools, served by
FastAPI on uvicorn (asyncio: an idle connection costs a socket, not a thread).

Request: `Authorization: Bearer <the tenant's token>` (ingest.push.tokens, from the
environment), a JSON body that is one IncomingPost (schemas/mention.py) or a list of them.
The posts are matched against that tenant's brand queries only and produced like any
source's items (origin `push-<tenant>`, kind `push`; dedup by post id and canonical URL),
through the BatchAssembler and a MentionSink (ingest/intake.py).

Answers (OpenAPI at /openapi.json; `veille schemas export` writes it too):
- 202 {"accepted": posts, "mentions": produced} once the mentions are durable in Kafka
  (acks=all) — never before, so a 202 means nothing can be lost;
- 400 {"error", "problems"}: a malformed request line or Content-Length (uvicorn's h11),
  invalid JSON, JSON nested deeper than `max_json_depth`, the first validation problems, or
  a post whose `published_at` the event-time rule refuses (`N.published_at: why`,
  schemas/event_time.py); nothing of such a request is stored;
- 401 for every request without the tenant's token (compared in constant time), an unknown
  tenant included: the answer never tells which tenants exist;
- 408 when the body is not received within `read_timeout_s`; a request head not received
  whole within it (of the connection, or of the previous answer) closes the connection;
- 413 over `max_body_bytes` (counted on the bytes read: chunked bodies too) or
  `max_posts`; at most twice the limit is ever read, the connection is then closed;
- 429 + Retry-After over the tenant's rate (`rate_per_s`, bursts of `burst` requests);
- 503 + Retry-After when Kafka did not take the batch (send it again: ids absorb repeats),
  or over `max_connections` requests and connections at once.
"""

import asyncio
import contextlib
import hmac
import logging
import math
import socket
import threading
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio
import uvicorn
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import from_json
from uvicorn.protocols.http.h11_impl import H11Protocol

from ingest.ratelimit import TokenBucket
from ingest.sources.base import FeedItem, Origin
from ingest.sources.replay import post_item
from schemas.config import EventTimeSettings, PushSettings
from schemas.event_time import event_time_problem
from schemas.mention import IncomingPost

log = logging.getLogger(__name__)

PATH = "/ingest/{tenant}"
_POSTS = TypeAdapter(list[IncomingPost])
_BODY = TypeAdapter(IncomingPost | list[IncomingPost])
_NO_TOKEN = b"\x00" * 32  # compared against when the tenant has no token: same cost
_RETRY_KAFKA_S = 5


class PushedSource:
    """The Origin of one tenant's pushed posts."""

    kind = "push"

    def __init__(self, tenant: str) -> None:
        self.id = f"push-{tenant}"  # seen ids are per tenant: two tenants may push post "42"
        self.tenants: set[str] | None = {tenant}


class Deliverer(Protocol):
    """Delivers a tenant's posts durably (ingest/intake.py); raises if Kafka did not take them."""

    def deliver_items(self, origin: Origin, items: list[FeedItem]) -> int: ...


class Accepted(BaseModel):
    accepted: int
    mentions: int


class Problem(BaseModel):
    error: str
    problems: list[str] = []


class Refused(Exception):
    """An answer other than 202; `close`: the body was not read, the connection ends."""

    def __init__(
        self,
        status: int,
        error: str,
        problems: list[str] | None = None,
        headers: dict[str, str] | None = None,
        close: bool = False,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.body = Problem(error=error, problems=problems or [])
        self.headers = dict(headers or {}) | ({"Connection": "close"} if close else {})

    def response(self) -> JSONResponse:
        return JSONResponse(self.body.model_dump(), self.status, self.headers)


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


class PushEndpoint:
    """The request's contract, in order: auth → rate → body → JSON → posts → Kafka."""

    def __init__(
        self,
        settings: PushSettings,
        event_time: EventTimeSettings,
        tenants: set[str],
        sink: Deliverer,
    ) -> None:
        self._settings = settings
        self._event_time = event_time
        self._tokens = {t: s.get_secret_value().encode() for t, s in settings.tokens.items()}
        self._tenants = tenants
        self._sink = sink
        self._rate = TokenBucket(settings.rate_per_s, settings.burst)

    async def handle(self, tenant: str, request: Request) -> Accepted:
        try:
            self._authenticate(tenant, request.headers.get("authorization", ""))
            wait_s = self._rate.take(tenant)
            if wait_s > 0:
                retry = str(math.ceil(wait_s))
                raise Refused(429, "rate limit: retry later", headers={"Retry-After": retry})
        except Refused:
            # Read (and drop) the body first: a server that closes with unread bytes sends a
            # TCP reset, and the client then never reads the 401 or 429.
            with contextlib.suppress(Refused):
                await self._body(request)
            raise
        posts = self._posts(await self._body(request))
        items = [post_item(p, None) for p in posts]
        try:
            produced = await anyio.to_thread.run_sync(
                self._sink.deliver_items, PushedSource(tenant), items
            )
        except Exception as exc:
            log.warning("push: %s: %d post(s) not durable, client told to retry: %s",
                        tenant, len(posts), exc)  # fmt: skip
            later = {"Retry-After": str(_RETRY_KAFKA_S)}
            raise Refused(503, "not stored, retry", headers=later) from None
        return Accepted(accepted=len(posts), mentions=produced)

    def _authenticate(self, tenant: str, header: str) -> None:
        scheme, _, given = header.partition(" ")
        token = self._tokens.get(tenant) if tenant in self._tenants else None
        same = hmac.compare_digest(given.strip().encode(), token or _NO_TOKEN)
        if not (same and token is not None and scheme.lower() == "bearer"):
            headers = {"WWW-Authenticate": "Bearer"}
            raise Refused(401, "missing or wrong token", headers=headers, close=True)

    async def _body(self, request: Request) -> bytes:
        """The body, at most `max_body_bytes` of it kept. Over the limit, up to as much again
        is read and dropped before the 413, so that a client still sending hears the answer
        rather than a reset; a body declared beyond that is not read at all."""
        limit = self._settings.max_body_bytes
        declared = request.headers.get("content-length")  # h11 checked it is digits
        too_big = Refused(413, f"body over {limit} bytes", close=True)
        if declared is not None and int(declared) > 2 * limit:
            raise too_big
        body, received = bytearray(), 0
        try:
            async with asyncio.timeout(self._settings.read_timeout_s):
                async for chunk in request.stream():
                    received += len(chunk)
                    if received > 2 * limit:
                        raise too_big
                    if received <= limit:
                        body += chunk
        except TimeoutError:
            raise Refused(408, "body not received in time", close=True) from None
        if received > limit:
            raise too_big
        return bytes(body)

    def _posts(self, body: bytes) -> list[IncomingPost]:
        try:
            data = from_json(body)
        except ValueError as exc:  # includes nesting beyond the parser's recursion limit
            raise Refused(400, "invalid JSON", [str(exc)]) from None
        depth = self._settings.max_json_depth
        if json_depth(data) > depth:
            raise Refused(400, "invalid JSON", [f"nested deeper than {depth} levels"])
        try:
            posts = _POSTS.validate_python(data if isinstance(data, list) else [data])
        except ValidationError as exc:
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]]
            raise Refused(400, "invalid posts", problems) from None
        if len(posts) > self._settings.max_posts:
            raise Refused(413, f"more than {self._settings.max_posts} posts")
        dated = self._misdated(posts, datetime.now(UTC))
        if dated:
            raise Refused(400, "invalid posts", dated)
        return posts

    def _misdated(self, posts: list[IncomingPost], received_at: datetime) -> list[str]:
        """`N.published_at: why` for the first posts the event-time rule refuses."""
        problems = (
            (n, event_time_problem(p.published_at, received_at, self._event_time))
            for n, p in enumerate(posts)
        )
        return [f"{n}.published_at: {why}" for n, why in problems if why][:5]


def build_app(endpoint: PushEndpoint) -> FastAPI:
    app = FastAPI(title="veille push", version="1", docs_url=None, redoc_url=None)
    answers: dict[int | str, dict[str, Any]] = {
        code: {"model": Problem, "description": what}
        for code, what in [
            (400, "malformed request, JSON or posts"),
            (401, "missing or wrong token, or unknown tenant"),
            (408, "body too slow"),
            (413, "body or post count over the limit"),
            (429, "over the tenant's rate: see Retry-After"),
            (503, "not stored (Kafka), retry after Retry-After"),
        ]
    }

    @app.post(PATH, status_code=202, response_model=Accepted, responses=answers)
    async def ingest(tenant: str, request: Request) -> Any:
        """Posts for `tenant`'s brand queries; 202 once durable in Kafka."""
        try:
            return await endpoint.handle(tenant, request)
        except Refused as refused:
            return refused.response()

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            body = _BODY.json_schema(ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                body.pop("$defs", {})
            )
            schema["components"]["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer"}
            }
            operation = schema["paths"][PATH]["post"]
            operation["security"] = [{"bearer": []}]
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body}},
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


class _DeadlineH11(H11Protocol):
    """uvicorn's h11 protocol, plus two deadlines uvicorn lacks. A new connection that sends
    nothing is closed after the keep-alive timeout too (uvicorn times out only those kept
    alive after a response). A request head must arrive whole within `head_timeout_s` of the
    connection or of the previous response: uvicorn cancels its keep-alive timer at the first
    byte, so a client that sends part of a head and stalls held the connection for ever."""

    head_timeout_s = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )
        self._head_deadline = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._head_deadline.cancel()
        self._head_deadline = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_deadline.cancel()
        super().connection_lost(exc)

    def _head_timed_out(self) -> None:
        if self.cycle is None or self.cycle.response_complete:  # no request under way
            self.timeout_keep_alive_handler()  # closes the connection


class PushServer:
    """Binds at construction (a taken port fails here); `serve(stop)` until `stop` is set."""

    def __init__(
        self,
        settings: PushSettings,
        event_time: EventTimeSettings,
        tenants: set[str],
        sink: Deliverer,
    ) -> None:
        self.app = build_app(PushEndpoint(settings, event_time, tenants, sink))
        self._settings = settings
        self._socket = socket.create_server((settings.host, settings.port), backlog=2048)
        self.url = f"http://{settings.host}:{self._socket.getsockname()[1]}"

    def serve(self, stop: threading.Event) -> None:
        s = self._settings
        config = uvicorn.Config(
            self.app,
            http=type("PushH11", (_DeadlineH11,), {"head_timeout_s": s.read_timeout_s}),
            limit_concurrency=s.max_connections,
            timeout_keep_alive=math.ceil(s.idle_timeout_s),
            timeout_graceful_shutdown=10,
            h11_max_incomplete_event_size=64 * 1024,  # a request head: no more
            backlog=2048,
            lifespan="off",
            log_config=None,
            access_log=False,
        )
        server = uvicorn.Server(config)

        def stop_when_asked() -> None:
            stop.wait()
            server.should_exit = True

        threading.Thread(target=stop_when_asked, daemon=True).start()
        log.info("push: listening on %s", self.url)
        try:
            server.run(sockets=[self._socket])
        finally:
            self._socket.close()


def push_openapi() -> dict[str, Any]:
    """The push API's OpenAPI document (default settings), for `veille schemas export`."""

    class _Nowhere:
        def deliver_items(self, origin: Origin, items: list[FeedItem]) -> int:
            raise RuntimeError("documentation only")

    endpoint = PushEndpoint(PushSettings(), EventTimeSettings(), set(), _Nowhere())
    return build_app(endpoint).openapi()
