"""Idle cost of `veille run` on the embedded stack (noida-db), against a baseline measured in
the same run: the same workers asking the broker back to back (`idle_poll_interval_ms: 1`,
as kafka-python's blocking poll did before). Figures: CPU of the whole worker process while
idle (% of one core), and raw → enriched latency of a mention in a busy stream vs the first
one after a quiet spell. Targets: idle < 5 % of one core; quiet ≤ 2 × busy latency.
The lexicon scorer keeps the figure about the runtime, not the model."""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from runtime.kafka import DurableProducer, make_producer
from schemas.config import StackSettings, VeilleConfig, WorkerSettings
from schemas.topics import Topics, raw_key
from tests.helpers import free_port, make_config, mention, write_config
from veille.runner import prepare
from veille.stack import EmbeddedStack

IDLE_S = 15.0
WORKERS = ("ingest", "enrich", "stories", "index", "alerts")


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


def _measure(stack: EmbeddedStack, folder: Path, interval_ms: int) -> tuple[float, float, float]:
    config = make_config(
        stack.kafka_bootstrap, stack.elasticsearch_url, enrich={"scorer": "lexicon"},
        worker={"idle_poll_interval_ms": interval_ms},
    )  # fmt: skip
    prepare(config)
    path = write_config(config, folder / f"veille-{interval_ms}.yaml")
    process = subprocess.Popen(
        [sys.executable, "-m", "veille.cli", "--config", str(path), "run", *WORKERS],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    topic = Topics(config.kafka.topic_prefix).enriched
    out = KafkaConsumer(bootstrap_servers=config.kafka.bootstrap_servers)
    out.assign([TopicPartition(topic, p) for p in range(config.kafka.partitions)])
    try:
        _latency_s(config, out, "Air Volaris : échauffement")  # groups joined, connections up
        busy = statistics.median(_latency_s(config, out, f"Air Volaris {i}") for i in range(20))
        cpu, wall = _cpu_s(process.pid), time.monotonic()
        time.sleep(IDLE_S)
        idle = 100 * (_cpu_s(process.pid) - cpu) / (time.monotonic() - wall)
        quiet = _latency_s(config, out, "Air Volaris : après le calme")
    finally:
        out.close()
        process.terminate()
        process.wait(30)
    return idle, busy, quiet


def main() -> int:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        settings = StackSettings(
            data_dir=str(folder / "noida"), kafka_port=free_port(), elasticsearch_port=free_port()
        )
        stack = EmbeddedStack(settings)
        stack.up()
        try:
            base = _measure(stack, folder, 1)
            paced = _measure(stack, folder, WorkerSettings().idle_poll_interval_ms)
        finally:
            stack.down()
    for label, (idle, busy, quiet) in (
        ("back to back (baseline)", base),
        ("paced (default)", paced),
    ):
        print(f"{label:24} idle {idle:5.1f} % of one core, busy latency {1000 * busy:6.1f} ms, "
              f"first after {IDLE_S:.0f}s quiet {1000 * quiet:6.1f} ms")  # fmt: skip
    idle, busy, quiet = paced
    print(f"idle CPU = {idle / max(base[0], 0.1):.3f} × baseline; target < 5 %: "
          f"{'met' if idle < 5 else 'NOT met'}")  # fmt: skip
    print(f"quiet/busy latency = {quiet / busy:.2f} (baseline busy: {quiet / base[1]:.2f}); "
          f"target ≤ 2: {'met' if quiet <= 2 * busy else 'NOT met'}")  # fmt: skip
    return 0
