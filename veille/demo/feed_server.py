"""Serves the demo weekend as an RSS 2.0 feed on 127.0.0.1, on a compressed clock.

A post appears in the feed once the simulated clock has passed its publication time; the
feed carries the newest `window` posts, newest first, with an ETag so that an unchanged
feed answers 304 Not Modified, as real servers do.
"""

import hashlib
import threading
import time
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from veille.demo.stream import DemoPost


class SimulatedClock:
    """Event time that runs `speed` times faster than real time from `start`."""

    def __init__(self, start: datetime, speed: float) -> None:
        self.start = start
        self.speed = speed
        self._t0 = time.monotonic()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    def freeze(self) -> None:
        """Stop the clock where it is (the weekend is over: no more days ticking by)."""
        self._frozen = self.now()


def render_rss(posts: list[DemoPost], base_url: str) -> bytes:
    items = "".join(
        "<item>"
        f'<guid isPermaLink="false">{escape(p.id)}</guid>'
        f"<link>{escape(base_url)}/posts/{escape(p.id)}?utm_source=rss</link>"
        f"<title>{escape(p.title)}</title>"
        f"<description>{escape(p.text)}</description>"
        f"<author>{escape(p.author)}</author>"
        f"<pubDate>{format_datetime(p.published_at, usegmt=True)}</pubDate>"
        "</item>"
        for p in posts
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Réseaux sociaux (démo veille)</title>"
        f"<link>{escape(base_url)}</link><description>Flux de démonstration</description>"
        f"{items}</channel></rss>"
    ).encode()


class DemoFeedServer:
    """`window`: 500 holds the whole weekend (399 posts), so an ingest whose first poll
    comes late (a slow start on a loaded machine) still reads every post, and the demo's
    drain (every post read) can complete."""

    def __init__(self, posts: list[DemoPost], clock: SimulatedClock, port: int,
                 window: int = 500) -> None:  # fmt: skip
        self.posts = posts
        self.clock = clock
        self.window = window
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._serve(self)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base_url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def published(self) -> list[DemoPost]:
        now = self.clock.now()
        return [p for p in self.posts if p.published_at <= now]

    def finished(self) -> bool:
        return len(self.published()) == len(self.posts)

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        if request.path.split("?")[0] != "/feed.xml":
            request.send_error(404)
            return
        visible = self.published()[-self.window :][::-1]
        etag = '"' + hashlib.sha1(str(len(self.published())).encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            request.send_response(304)
            request.end_headers()
            return
        body = render_rss(visible, self.base_url)
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.send_header("ETag", etag)
        request.end_headers()
        request.wfile.write(body)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
