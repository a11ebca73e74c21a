"""A local HTTP server on 127.0.0.1 whose routes a test sets: documented payload shapes,
status codes, headers, slow or endless bodies, conditional GET (`conditional`), or a proxy in
front of another local server (`forward_to`). Records every request it receives."""

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx

Handler = Callable[["Request"], "Reply"]

HOP_BY_HOP = frozenset(
    {"host", "connection", "content-length", "transfer-encoding", "content-encoding"}
)
"""Headers a proxy sets itself rather than copying (httpx has already decoded the body)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    target: str = ""
    """The request target as sent: path and query string."""

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case the client wrote its name in."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    chunks: int = 0  # > 0: send `body` this many times, chunked, no Content-Length


def conditional(body: bytes, etag: str, headers: dict[str, str] | None = None) -> Handler:
    """A resource served with `etag`: 304 Not Modified to a client that sends it back in
    If-None-Match, else 200 with the body and its ETag."""

    def answer(request: Request) -> Reply:
        if request.header("If-None-Match") == etag:
            return Reply(304)
        return Reply(200, body, {**(headers or {}), "ETag": etag})

    return answer


def forward_to(upstream: str) -> Handler:
    """A proxy: the request sent on to `upstream` (method, target, body, end-to-end headers),
    its answer returned as received (status, body, end-to-end headers)."""

    def forward(request: Request) -> Reply:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = httpx.request(request.method, upstream + request.target,
                               content=request.body, headers=headers, timeout=30)  # fmt: skip
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return Reply(answer.status_code, answer.content, kept)

    return forward


class LocalHttp:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.default: Handler | None = None
        """Answers a path without a route (None: 404)."""
        self.requests: list[Request] = []
        host = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, parts.path, parse_qs(parts.query),
                                  dict(self.headers), body, self.path)  # fmt: skip
                host.requests.append(request)
                handler = host.routes.get(parts.path, host.default)
                reply = handler(request) if handler else Reply(404, b"not found")
                time.sleep(reply.delay_s)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunks:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for _ in range(reply.chunks):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(reply.body), reply.body))
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if "Content-Length" not in reply.headers:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, path: str, reply: Reply | Handler) -> None:
        self.routes[path] = reply if callable(reply) else (lambda _request: reply)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
