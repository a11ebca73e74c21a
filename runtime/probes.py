"""One HTTP port per process: `/metrics` (Prometheus text format), `/healthz`, `/readyz`.

- `/healthz`: 200 while the process serves at all (alive); a liveness probe restarts it
  only when even this fails.
- `/readyz`: 200 when the readiness check says ready, else 503 with the reasons, one per
  line. Settings: `metrics` (schemas.config.MetricsSettings). The process's workers decide
  (veille/running.py `RunningWorkers.not_ready`): each
  stream worker is assigned partitions and caught up within `metrics.ready_max_lag`, the
  model is loaded (the enrich worker exists only once its scorer has loaded), and no worker
  has stopped for good.

Contract: the server runs in a daemon thread, answers only GET, and never blocks the
workers: the readiness check reads state the worker loops publish; it calls no client.
"""

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from runtime import metrics
from runtime.metrics import registry

log = logging.getLogger(__name__)

Readiness = Callable[[], list[str]]
"""The reasons the process is not ready; empty when it is."""


def starting() -> list[str]:
    return ["starting: workers not built yet (loading the model, connecting)"]


class ProbeServer:
    """`/metrics`, `/healthz` and `/readyz` on `host:port` (port 0: any free one)."""

    def __init__(self, host: str, port: int, readiness: Readiness = starting) -> None:
        self.readiness = readiness
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    metrics.READY.set(0 if server.readiness() else 1)
                    self._answer(200, generate_latest(registry()), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    self._answer(200, b"alive\n")
                elif path == "/readyz":
                    reasons = server.readiness()
                    body = ("\n".join(reasons) or "ready") + "\n"
                    self._answer(503 if reasons else 200, body.encode())
                else:
                    self._answer(404, b"not found: /metrics, /healthz, /readyz\n")

            def _answer(self, status: int, body: bytes, kind: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Probes every few seconds would flood the log: say nothing."""

        self._http = ThreadingHTTPServer((host, port), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="veille-probes", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    def start(self) -> "ProbeServer":
        self._thread.start()
        log.info("metrics and probes on http://%s:%d", self._http.server_address[0], self.port)
        return self

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)
