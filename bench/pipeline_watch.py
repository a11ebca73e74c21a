"""What `bench_pipeline` watches while the load runs: each consumer group's lag, and the
embedded engine's (noida-db's) CPU and the size of the state it holds; written as one CSV and,
when matplotlib is installed, a PNG.

The engine's figures are there because they explain the run: noida-db keeps each service's
whole state in one JSON file (`kafka.json`, `elasticsearch.json`) that it rewrites about once
a second while the state changes, so its CPU grows with the data it holds, not with the load
(docs/scale.md, "The embedded engine under sustained load")."""

import csv
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from schemas.config import VeilleConfig
from schemas.topics import Topics
from veille.runner import group_id


class GroupLags:
    """Each worker group's lag: end offsets of its input − its committed offsets, summed over
    the partitions."""

    def __init__(self, config: VeilleConfig) -> None:
        topics = Topics(config.kafka.topic_prefix)
        self.inputs = {"enrich": topics.raw, "stories": topics.scored, "index": topics.enriched,
                       "alerts": topics.enriched}  # fmt: skip
        bootstrap = config.kafka.bootstrap_servers
        self._ends = KafkaConsumer(bootstrap_servers=bootstrap)
        self._groups = {
            w: KafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id(config, w),
                             enable_auto_commit=False) for w in self.inputs}  # fmt: skip
        self._partitions = config.kafka.partitions

    def committed(self, worker: str) -> int:
        return sum(self.committed_at(worker).values())

    def committed_at(self, worker: str) -> dict[TopicPartition, int]:
        """The group's committed offset on each partition of its input (0: none yet)."""
        tps = [TopicPartition(self.inputs[worker], p) for p in range(self._partitions)]
        return {tp: self._groups[worker].committed(tp) or 0 for tp in tps}

    def now(self) -> dict[str, int]:
        row = {}
        for worker, topic in self.inputs.items():
            tps = [TopicPartition(topic, p) for p in range(self._partitions)]
            row[worker] = sum(self._ends.end_offsets(tps).values()) - self.committed(worker)
        return row

    def close(self) -> None:
        self._ends.close()
        for consumer in self._groups.values():
            consumer.close()


def caught_up(lags: GroupLags, timeout_s: float) -> None:
    """Return once every group has committed all of its input."""
    deadline = time.monotonic() + timeout_s
    while any(lags.now().values()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"groups still behind after {timeout_s:.0f} s: {lags.now()}")
        time.sleep(0.5)


class ConsumedTrim:
    """Deletes (DeleteRecords) what every group reading a topic has committed: `--trim` of
    bench_pipeline. Kafka's cost does not depend on the log it keeps, noida-db's does (it
    rewrites the whole log about once a second); trimming what is consumed keeps its Kafka
    side to the unconsumed backlog, so what is left of its cost is the search engine's, the
    history itself. Nothing unconsumed is deleted: the bench's groups read each record once
    and no rebalance happens during a run."""

    def __init__(self, config: VeilleConfig, lags: GroupLags) -> None:
        self._admin = KafkaAdminClient(bootstrap_servers=config.kafka.bootstrap_servers)
        self._lags = lags
        self._readers: dict[str, list[str]] = {}
        """topic → the workers whose groups read it."""
        for worker, topic in lags.inputs.items():
            self._readers.setdefault(topic, []).append(worker)
        self._done: dict[TopicPartition, int] = {}
        self.deleted = 0

    def once(self) -> None:
        upto: dict[TopicPartition, int] = {}
        for workers in self._readers.values():
            offsets = [self._lags.committed_at(w) for w in workers]
            for tp in offsets[0]:
                low = min(o[tp] for o in offsets)
                if low > self._done.get(tp, 0):
                    upto[tp] = low
        if upto:
            self._admin.delete_records(upto)
            self.deleted += sum(o - self._done.get(tp, 0) for tp, o in upto.items())
            self._done.update(upto)

    def close(self) -> None:
        self._admin.close()


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Engine:
    """The embedded engine to watch: its process and its data folder."""

    pid: int
    data_dir: Path

    def state_mb(self) -> float:
        return sum(p.stat().st_size for p in self.data_dir.glob("*.json")) / 1e6


@dataclass
class Sample:
    t_s: float
    lag: dict[str, int]
    engine_cpu: float
    """Cores the engine used since the previous sample."""
    engine_mb: float


@dataclass
class Watch:
    samples: list[Sample] = field(default_factory=list)

    trimmed: int = 0
    """Records `ConsumedTrim` deleted, when the run trims."""

    def run(self, config: VeilleConfig, engine: Engine, started: float,
            stop: threading.Event, trim: bool = False) -> None:  # fmt: skip
        """Sample every second until `stop`; times from `started` (monotonic); with `trim`,
        delete what every group has consumed every 5 s (`ConsumedTrim`)."""
        lags = GroupLags(config)
        trimmer = ConsumedTrim(config, lags) if trim else None
        before, at = cpu_s(engine.pid), time.monotonic()
        try:
            while not stop.is_set():
                now, cpu = time.monotonic(), cpu_s(engine.pid)
                used = (cpu - before) / max(now - at, 1e-6)
                self.samples.append(Sample(now - started, lags.now(), used, engine.state_mb()))
                before, at = cpu, now
                if trimmer is not None and len(self.samples) % 5 == 0:
                    trimmer.once()
                    self.trimmed = trimmer.deleted
                stop.wait(1.0)
        finally:
            lags.close()
            if trimmer is not None:
                trimmer.close()

    def drained_after(self, t_s: float) -> bool:
        """Whether the newest sample, taken after `t_s`, shows every group caught up."""
        last = self.samples[-1] if self.samples else None
        return last is not None and last.t_s > t_s and not any(last.lag.values())

    def engine_at(self, t_s: float) -> Sample | None:
        """The first sample at or after `t_s`."""
        return next((s for s in self.samples if s.t_s >= t_s), None)

    def write(self, out: Path, marks: dict[str, float]) -> Path:
        """The CSV (and the PNG when matplotlib is there); returns the PNG, else the CSV."""
        path = out / "bench_pipeline_lag.csv"
        workers = list(self.samples[0].lag) if self.samples else []
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["t_s", *workers, "engine_cores", "engine_state_mb"])
            writer.writerows([f"{s.t_s:.1f}", *(s.lag[w] for w in workers),
                              f"{s.engine_cpu:.2f}", f"{s.engine_mb:.1f}"]
                             for s in self.samples)  # fmt: skip
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return path
        fig, (ax, engine) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
        times = [s.t_s for s in self.samples]
        for w in workers:
            ax.plot(times, [s.lag[w] for s in self.samples], label=w)
        ax.set_ylabel("lag (messages)")
        ax.legend()
        engine.plot(times, [s.engine_cpu for s in self.samples], color="black", linewidth=0.6)
        engine.set_ylabel("noida-db CPU (cores)")
        state = engine.twinx()
        state.plot(times, [s.engine_mb for s in self.samples], color="tab:red")
        state.set_ylabel("noida-db state (MB)", color="tab:red")
        for axis in (ax, engine):
            for name, at in marks.items():
                axis.axvline(at, color="grey", linestyle=":")
                axis.text(at, axis.get_ylim()[1] * 0.9, name, fontsize=8)
        engine.set_xlabel("s since the load began")
        fig.tight_layout()
        png = out / "bench_pipeline_lag.png"
        fig.savefig(png, dpi=100)
        return png
