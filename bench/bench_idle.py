"""Idle cost of `veille run` on the embedded stack (noida-db), and how soon the first mention
after a quiet spell is enriched, against a baseline measured in the same run: the same
workers asking the broker back to back (`idle_poll_interval_ms: 1`, no offset watch, as
kafka-python's blocking poll did before).

Three runs of the same workers: the baseline; paced polls alone (`offset_watch_interval_ms:
0`, what an SSL or SASL listener gets); the defaults (paced polls and the offset watch,
runtime/idle.py). Figures for each: CPU of the whole worker process while idle (% of one
core; noida-db's own CPU beside it), raw → enriched latency of a mention sent as soon as the
previous one was enriched (busy, median of 20), and of the first mention after each of
`QUIET_SPELLS` quiet spells (median; the first spell is the idle measurement).
Targets (issue #9): idle < 5 % of one core; quiet ≤ 2 × the baseline's busy latency.
The lexicon scorer keeps the figure about the runtime, not the model."""

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from bench.stack import temporary_stack
from runtime.kafka import DurableProducer, make_producer
from schemas.config import VeilleConfig
from schemas.topics import Topics, raw_key
from tests.helpers import make_config, mention, write_config
from veille.runner import prepare
from veille.stack import EmbeddedStack

IDLE_S = 15.0
QUIET_SPELLS = (IDLE_S, 3.0, 3.0, 3.0, 3.0)
"""Seconds of each quiet spell (longer than the pacing takes to reach its ceiling)."""
WORKERS = ("ingest", "enrich", "stories", "index", "alerts")
RUNS: dict[str, dict[str, Any]] = {
    "back to back (baseline)": {"idle_poll_interval_ms": 1, "offset_watch_interval_ms": 0},
    "paced polls only": {"offset_watch_interval_ms": 0},
    "paced + offset watch (default)": {},
}


@dataclass(frozen=True)
class Figures:
    idle_pct: float
    broker_pct: float
    busy_s: float
    quiet_s: list[float]

    @property
    def quiet_median_s(self) -> float:
        return statistics.median(self.quiet_s)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _latency_s(config: VeilleConfig, out: KafkaConsumer, text: str) -> float:
    producer = DurableProducer(make_producer(config.kafka, "bench-idle"))
    m = mention(text)
    started = time.monotonic()
    producer.send(Topics(config.kafka.topic_prefix).raw, raw_key(m), m.model_dump_json().encode())
    producer.flush()
    producer.close()
    while True:
        for batch in out.poll(timeout_ms=5).values():
            if any(m.id.encode() in r.value for r in batch):
                return time.monotonic() - started


def _measure(stack: EmbeddedStack, folder: Path, name: str, worker: dict[str, Any]) -> Figures:
    config = make_config(
        stack.kafka_bootstrap, stack.elasticsearch_url, enrich={"scorer": "lexicon"},
        worker=worker,
    )  # fmt: skip
    prepare(config)
    path = write_config(config, folder / f"veille-{len(list(folder.glob('*.yaml')))}.yaml")
    process = subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "--config", str(path), "run", *WORKERS],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    topic = Topics(config.kafka.topic_prefix).enriched
    out = KafkaConsumer(bootstrap_servers=config.kafka.bootstrap_servers)
    out.assign([TopicPartition(topic, p) for p in range(config.kafka.partitions)])
    broker = stack.status().pid
    assert broker is not None, "noida-db is not running"
    try:
        _latency_s(config, out, "Air Volaris : échauffement")  # groups joined, connections up
        busy = statistics.median(_latency_s(config, out, f"Air Volaris {i}") for i in range(20))
        quiet, idle, broker_pct = [], 0.0, 0.0
        for spell, seconds in enumerate(QUIET_SPELLS):
            cpu, broker_cpu, wall = _cpu_s(process.pid), _cpu_s(broker), time.monotonic()
            time.sleep(seconds)
            if spell == 0:
                elapsed = time.monotonic() - wall
                idle = 100 * (_cpu_s(process.pid) - cpu) / elapsed
                broker_pct = 100 * (_cpu_s(broker) - broker_cpu) / elapsed
            quiet.append(_latency_s(config, out, f"Air Volaris : après le calme {spell}"))
    finally:
        out.close()
        process.terminate()
        process.wait(30)
    print(f"{name:31} idle {idle:5.1f} % of one core (noida-db {broker_pct:5.1f} %), "
          f"busy {1000 * busy:6.1f} ms, first after quiet "
          f"{' '.join(f'{1000 * q:.0f}' for q in quiet)} ms", flush=True)  # fmt: skip
    return Figures(idle, broker_pct, busy, quiet)


def main() -> int:
    with temporary_stack() as (stack, folder):
        figures = {label: _measure(stack, folder, label, w) for label, w in RUNS.items()}
    base, *_ = figures.values()
    for label, f in figures.items():
        quiet = f.quiet_median_s / base.busy_s
        print(f"{label:31} idle {f.idle_pct / max(base.idle_pct, 0.1):.3f} × baseline "
              f"(< 5 %: {'met' if f.idle_pct < 5 else 'NOT met'}); quiet (median) "
              f"{quiet:.2f} × the baseline's busy latency "
              f"(≤ 2: {'met' if quiet <= 2 else 'NOT met'})")  # fmt: skip
    return 0
