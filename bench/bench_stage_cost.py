"""What each stage costs per mention, measured on a multi-worker run, and the sizing model of
docs/scale.md checked against it.

Every stage runs as processes of its own on an embedded stack of its own (noida-db): two
inference workers (`veille run enrich`, one torch thread each: the group shares the raw
partitions between them), and one each of stories, index and alerts. After a warm-up,
`FLOOD` mentions are sent at once; the run ends when every group has committed them all.
Figures: CPU seconds of each process (and of noida-db, and of this load generator) per
mention, in ms; the time each group took; and beside them the model's prediction.

The model (docs/scale.md): a stage's throughput on `c` cores is `c / cost per mention`, and
a pipeline sharing `C` cores runs at `C / Σ costs` when its stages are busy together. The
check: inference's throughput predicted from its measured CPU per mention against the one
observed (two workers on two cores, sharing them with every other process), and the
pipeline's predicted from the sum of every cost against the one observed (first to last
commit of the flood). The default model scores.

`python -m bench stage_cost`."""

import os
import resource
import sys
import time
from dataclasses import dataclass

from bench.bench_pipeline import FLOOD, flood, scorer_capacity
from bench.pipeline_load import Run, load
from bench.pipeline_watch import GroupLags, caught_up, cpu_s
from bench.stack import PER_STAGE, temporary_stack, worker_processes
from schemas.config import VeilleConfig
from tests.helpers import make_config, write_config
from veille.runner import prepare

CORES = os.cpu_count() or 1


@dataclass(frozen=True)
class Cost:
    name: str
    cpu_s: float

    def ms_per(self, n: int) -> float:
        return 1000 * self.cpu_s / n


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(stack_pid: int, config: VeilleConfig, pids: dict[str, list[int]], alone: float) -> int:
    """`alone`: mentions/s of the scorer alone on one thread, measured before."""
    run = Run(config)
    lags = GroupLags(config)
    try:
        nxt = load(run, 5.0, 10.0, "warm-up", 0)  # groups joined, models loaded
        caught_up(lags, 300)
        time.sleep(2.0)
        before = {w: sum(cpu_s(p) for p in ps) for w, ps in pids.items()}
        before |= {"noida-db": cpu_s(stack_pid), "load generator": _own_cpu_s()}
        took = flood(run, lags, nxt, FLOOD)
        after = {w: sum(cpu_s(p) for p in ps) for w, ps in pids.items()}
        after |= {"noida-db": cpu_s(stack_pid), "load generator": _own_cpu_s()}
    finally:
        lags.close()
    costs = [Cost(name, after[name] - before[name]) for name in before]
    elapsed = max(took.values())
    print(f"{FLOOD} mentions at once; {CORES} cores; processes: "
          + ", ".join(f"{w} ×{n}" for w, n in PER_STAGE))  # fmt: skip
    print(f"{'stage':16} {'CPU ms/mention':>15} {'cores busy':>11} {'group done after':>17}")
    for cost in costs:
        done = f"{took[cost.name]:.1f} s" if cost.name in took else ""
        print(f"{cost.name:16} {cost.ms_per(FLOOD):15.2f} {cost.cpu_s / elapsed:11.2f} {done:>17}")
    inference = next(c for c in costs if c.name == "enrich")
    observed = FLOOD / took["enrich"]
    share = inference.cpu_s / took["enrich"]
    predicted = share * alone
    print(f"inference: observed {observed:.1f} mentions/s on the {share:.2f} cores it got; the "
          f"model (the scorer alone, one thread, same texts: {alone:.1f}/s per core, scaling "
          f"with cores) predicts {predicted:.1f}/s "
          f"({100 * (observed / predicted - 1):+.0f} %)")  # fmt: skip
    total_ms = sum(c.ms_per(FLOOD) for c in costs)
    pipeline = FLOOD / elapsed
    capacity = CORES * 1000 / total_ms
    print(f"pipeline: observed {pipeline:.1f} mentions/s end to end; the model ({total_ms:.2f} "
          f"ms/mention over all stages, {CORES} cores) predicts at most {capacity:.1f}/s "
          f"({100 * (pipeline / capacity - 1):+.0f} %; the cores were "
          f"{100 * sum(c.cpu_s for c in costs) / (CORES * elapsed):.0f} % busy)")  # fmt: skip
    return 0


def main() -> int:
    with temporary_stack() as (stack, folder):
        config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                             enrich={"model": {"cpu_threads": 1}})  # fmt: skip
        alone = scorer_capacity(config)  # one torch thread, as each inference worker
        prepare(config)
        path = write_config(config, folder / "veille.yaml")
        broker = stack.status().pid
        assert broker is not None, "noida-db is not running"
        with worker_processes(path, folder, PER_STAGE) as processes:
            owned = {w: [p.pid for p in ps] for w, ps in processes.items()}
            return measure(broker, config, owned, alone)


if __name__ == "__main__":
    sys.exit(main())
