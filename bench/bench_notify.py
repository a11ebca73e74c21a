"""Notifier latency: an incident event on `alerts.incidents` → the signed webhook request at
a local receiver, p50 / p95 over a few hundred incidents (`veille alerts notify` in-process on
the embedded stack, real clock, `group_wait_s: 0`, one route without escalation).

Baseline, same run, same broker, receiver and pacing: a bare loop that consumes the topic and
POSTs each event (no routing, no durable log, no dispatcher). The difference is what the
notifier's guarantees cost: the records written to Elasticsearch before the offset commits,
`sending` before and `sent` after each call, the dispatcher's tick. An incident counts as
delivered by the first request that carries it (as `data.incident` or in `data.grouped`,
when incidents due together for one destination went out as one message).
"""

import base64
import json
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from kafka import KafkaConsumer

from bench.stack import temporary_stack
from runtime.kafka import DurableProducer, make_producer
from schemas.config import VeilleConfig
from schemas.incident import Incident, IncidentEvent
from schemas.topics import Topics, incident_key
from tests.helpers import make_config
from tests.local_http import LocalHttp, Reply, Request
from veille.runner import prepare, start_workers
from veille.stack import EmbeddedStack

INCIDENTS = 300
RATE_PER_S = 40.0
SECRET = "whsec_" + base64.b64encode(b"bench-notify-signing-key-0123").decode()


def _incident(n: int, run: str) -> Incident:
    now = datetime.now(UTC)
    return Incident(
        id=f"{run}-{n}", tenant="agence-horizon", brand="air-volaris", kind="crisis",
        status="open", severity="critical", trigger="negative_acceleration", opened_at=now,
        updated_at=now, window_minutes=10, count=12, stories=11, signal=13.2, baseline=0.5,
        peak_signal=13.2, negative_share=0.9, summary="12 mentions négatives en 10 min",
    )  # fmt: skip


class Arrivals:
    """When the receiver first saw each incident id."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self._lock = threading.Lock()

    def handler(self, ids_of: Callable[[bytes], list[str]]) -> Callable[[Request], Reply]:
        def handle(request: Request) -> Reply:
            now = time.monotonic()
            with self._lock:
                for incident_id in ids_of(request.body):
                    self.at.setdefault(incident_id, now)
            return Reply(204)

        return handle


def _webhook_ids(body: bytes) -> list[str]:
    data = json.loads(body)["data"]
    return [data["incident"]["id"], *(other["id"] for other in data["grouped"])]


def _publish(config: VeilleConfig, run: str) -> dict[str, float]:
    """Produce INCIDENTS opened events at RATE_PER_S; when each was acknowledged by Kafka."""
    producer = DurableProducer(make_producer(config.kafka, f"bench-notify-{run}"))
    topic = Topics(config.kafka.topic_prefix).incidents
    sent: dict[str, float] = {}
    for n in range(INCIDENTS):
        incident = _incident(n, run)
        event = IncidentEvent(event="opened", at=incident.opened_at, incident=incident,
                              emitted_at=incident.opened_at)  # fmt: skip
        started = time.monotonic()
        producer.send(topic, incident_key(incident), event.model_dump_json().encode())
        producer.flush()
        sent[incident.id] = started
        time.sleep(max(0.0, 1 / RATE_PER_S - (time.monotonic() - started)))
    producer.close()
    return sent


def _latencies_ms(sent: dict[str, float], arrivals: Arrivals, timeout_s: float = 60) -> list[float]:
    deadline = time.monotonic() + timeout_s
    while len(arrivals.at.keys() & sent.keys()) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    missing = len(sent.keys() - arrivals.at.keys())
    if missing:
        raise RuntimeError(f"{missing} of {len(sent)} incidents never reached the receiver")
    return [(arrivals.at[i] - sent[i]) * 1000 for i in sent]


def _config(stack: EmbeddedStack, http: LocalHttp) -> VeilleConfig:
    raw = make_config(stack.kafka_bootstrap, stack.elasticsearch_url).model_dump(
        mode="json", exclude_none=True
    )
    raw["alerts"]["channels"] = {"hook": {"type": "webhook", "url": f"{http.base}/notify",
                                          "secret": SECRET, "timeout_s": 5}}  # fmt: skip
    raw["alerts"]["routes"] = [{"tenant": "agence-horizon", "channels": ["hook"]}]
    raw["alerts"]["notify"] = {"group_wait_s": 0, "web": {"enabled": False}}
    return VeilleConfig.model_validate(raw)


def _notifier(stack: EmbeddedStack, http: LocalHttp) -> list[float]:
    arrivals = Arrivals()
    http.route("/notify", arrivals.handler(_webhook_ids))
    config = _config(stack, http)
    prepare(config)
    running = start_workers(config, ("notify",))
    try:
        time.sleep(3)  # joined its group, read to the end: the dispatcher is open
        return _latencies_ms(_publish(config, "notify"), arrivals)
    finally:
        running.stop()


def _bare_loop(stack: EmbeddedStack, http: LocalHttp) -> list[float]:
    """BASELINE: consume → POST, nothing else."""
    arrivals = Arrivals()
    http.route("/bare", arrivals.handler(lambda body: [json.loads(body)["incident"]["id"]]))
    config = _config(stack, http)
    prepare(config)
    stop = threading.Event()

    def loop() -> None:
        consumer = KafkaConsumer(
            Topics(config.kafka.topic_prefix).incidents,
            bootstrap_servers=config.kafka.bootstrap_servers, group_id="bench-bare",
            auto_offset_reset="earliest",
        )  # fmt: skip
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                for batch in consumer.poll(timeout_ms=50).values():
                    for record in batch:
                        client.post(f"{http.base}/bare", content=record.value)
                consumer.commit()
        consumer.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        time.sleep(3)
        return _latencies_ms(_publish(config, "bare"), arrivals)
    finally:
        stop.set()
        thread.join(10)


def _figures(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return statistics.median(latencies), cuts[94]


def main() -> int:
    with temporary_stack() as (stack, _folder):
        http = LocalHttp()
        try:
            base = _figures(_bare_loop(stack, http))
            notify = _figures(_notifier(stack, http))
        finally:
            http.close()
    print(f"{INCIDENTS} incidents at {RATE_PER_S:.0f}/s, event produced → request received:")
    for label, (p50, p95) in (("bare consume → POST (baseline)", base),
                              ("veille alerts notify", notify)):  # fmt: skip
        print(f"  {label:<32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"  notifier / baseline: p50 ×{notify[0] / base[0]:.1f}, p95 ×{notify[1] / base[1]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
