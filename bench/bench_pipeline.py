"""The whole pipeline under load, on an embedded stack of its own (noida-db): each stage in
processes of its own as deploy/ runs them (two inference workers of one torch thread each,
one each of stories, index and alerts: bench/stack.py `PER_STAGE`; `--one-process`: `veille
run enrich stories index alerts` in one process instead), fed on `mentions.raw` at 80 % of
this machine's enrich capacity for a steady period, then at 3× that for a crisis; then the
backlog drains.

Capacity is measured first, in the same run, inside the running pipeline, every stage,
noida-db and the load generator sharing the cores. A flood of 4,000 mentions sent at once
gives the rate until every group has committed them (`pipeline_capacity`), but overstates
what the cores sustain: its batches are full, and a steady load's are small, which costs
more per mention (without the workers' small-batch pause, a run at 80 % of a flood's rate
used 1.95 of the 2 cores and lagged; with it the two capacities come close). So a
calibration load follows, 60 % of the flood's rate for a tenth of the steady period: the CPU
every process used for it (stages, engine, this load generator and probe), per mention,
gives the rate at which the cores are full (`sustainable_capacity`); the steady load is
80 % of that. The scorer alone (the default model over 512 texts, nothing else running) is
printed beside them. Figures:
- raw-in → indexed per mention, p50/p95/p99, for the mentions sent in each phase: every 20th
  mention is a probe, looked up by id (`mget`, real time) every 250 ms from its send (at most
  100 a round: the probe is a load on the engine too); and, for every mention, the share
  indexed within 2 s from the index worker's `fetched_to_indexed` histogram (the bench stamps
  `fetched_at` as it sends; counted over the mentions indexed while the steady load ran);
- the CPU each process kind used over the steady load (cores, ms per mention);
- raw-in → incident-out: from the worker's `veille_incident_latency_seconds` histogram
  (bucket bounds, so a range), and the incidents opened;
- lag over time per consumer group (end offsets − committed), beside noida-db's CPU and the
  size of the state it holds, written as CSV and, when matplotlib is installed, a PNG
  (bench/pipeline_watch.py); backlog drain time: from the end of the crisis until every
  group's lag is back to 0.
Target: p95 raw-in → indexed ≤ 2 s at the steady load.

`python -m bench.bench_pipeline [--quick] [--one-process] [--trim] [--rate R] [--out DIR]`:
600 s + 120 s, or 60 s + 20 s with `--quick`; `python -m bench pipeline` runs the full one;
`--rate`: the steady load, to compare settings (`VEILLE__…` variables reach the workers) at
one load. `--trim` deletes what every group has consumed as the run goes
(bench/pipeline_watch.py `ConsumedTrim`), so that noida-db's Kafka log, whose size is its
cost, holds only the backlog: what then still grows is the search engine's state, the
history.
"""

import argparse
import os
import random
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.pipeline_figures import (
    cpu_by_process,
    cpu_share,
    histogram,
    incident_latency,
    indexed_within,
    quantiles,
)
from bench.pipeline_load import CALM, Run, angry_text, bench_tenants, load, probe
from bench.pipeline_watch import Engine, GroupLags, Watch, caught_up
from bench.stack import PER_STAGE, Layout, temporary_stack, worker_processes
from enrich.sentiment import compose_input
from schemas.config import VeilleConfig
from tests.helpers import free_port, make_config, write_config
from veille.runner import build_scorer, prepare
from veille.stack import EmbeddedStack

WORKERS = ("enrich", "stories", "index", "alerts")
SHARE, CRISIS = 0.8, 3.0
FLOOD = 4000
"""Mentions sent at once, to size the calibration load (bench_pipeline's docstring)."""
WORKER = {"poll_timeout_ms": 200, "retry_backoff_s": 0.2, "small_batch_pause_ms": 100}
"""The workers' loop as deploy/veille.prod.yaml sets it for a sustained load (the pause after
a small batch; `VEILLE__WORKER__SMALL_BATCH_PAUSE_MS=0` in the environment compares)."""
CALIBRATION_SHARE = 0.6
"""The calibration load, as a share of the flood's rate: below what the cores sustain."""


def scorer_capacity(config: VeilleConfig, n: int = 512) -> float:
    """Mentions/s of the configured scorer alone, in this process, nothing else running."""
    scorer = build_scorer(config)
    rng = random.Random(n)
    texts = [compose_input(None, f"{rng.choice(CALM) if i % 2 else angry_text(rng)} #{i}")
             for i in range(n)]  # fmt: skip
    scorer.analyse(texts[:32])  # loaded and warm
    started = time.perf_counter()
    scorer.analyse(texts)
    return n / (time.perf_counter() - started)


def flood(run: Run, lags: GroupLags, first: int, n: int) -> dict[str, float]:
    """Send `n` mentions at once; return, per group, the seconds from the start of the
    sending until it had committed them all."""
    base = {w: lags.committed(w) for w in lags.inputs}
    started = time.monotonic()
    load(run, float("inf"), 0.0, "flood", first, count=n)
    done: dict[str, float] = {}
    while len(done) < len(base):
        for worker, at in base.items():
            if worker not in done and lags.committed(worker) >= at + n:
                done[worker] = time.monotonic() - started
        if time.monotonic() - started > 900:
            raise TimeoutError(f"the flood not worked off in 900 s: {done}")
        time.sleep(0.2)
    return done


def pipeline_capacity(run: Run, first: int, n: int) -> tuple[float, float, int]:
    """Mentions/s inside the running pipeline, sharing the cores with every stage, noida-db
    and this load generator, from a `flood` of `n`: the inference group's rate (while the
    stages downstream still lag) and the whole pipeline's (until the last group committed
    them all). Returns both and the next index; every group has caught up when it returns."""
    lags = GroupLags(run.config)
    try:
        took = flood(run, lags, first, n)
        caught_up(lags, 300)
    finally:
        lags.close()
    return n / took["enrich"], n / max(took.values()), first + n


def sustainable_capacity(
    run: Run, pids: dict[str, list[int]], first: int, rate: float, seconds: float
) -> tuple[float, float, int]:
    """Mentions/s the machine's cores sustain under a steady load: `rate` mentions/s for
    `seconds`, the CPU every process used (stages, engine, this load generator and probe)
    from its start until every group has committed it, over the mentions sent; the cores
    divided by that cost. Returns it, the ms of CPU per mention, and the next index. A
    flood measures less than this cost: its batches are full, a steady load's are not."""
    before = cpu_by_process(pids)
    nxt = load(run, rate, seconds, "calibration", first)
    lags = GroupLags(run.config)
    try:
        caught_up(lags, 300)
    finally:
        lags.close()
    used = sum(cpu_by_process(pids).values()) - sum(before.values())
    per_mention = used / (nxt - first)
    return len(os.sched_getaffinity(0)) / per_mention, 1000 * per_mention, nxt


def latencies(run: Run, phase: str) -> tuple[list[float], int]:
    """Raw-in → indexed of the probes sent in `phase`, and how many were never seen."""
    probes = [k for k, (_, p, _) in run.sent.items() if p == phase]
    return [run.indexed[k] for k in probes if k in run.indexed], sum(
        k not in run.indexed for k in probes
    )


def measure(
    stack: EmbeddedStack, folder: Path, out: Path, steady_s: float, crisis_s: float,
    one_process: bool, trim: bool = False, rate: float | None = None,
) -> int:  # fmt: skip
    port, index_port = free_port(), free_port()
    if one_process:  # `veille run` with every worker: one metrics port, the default threads
        config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                             metrics={"port": port}, tenants=bench_tenants(),
                             worker=WORKER)  # fmt: skip
        layout: Layout = ((" ".join(WORKERS), 1),)
        env, index_port = {}, port
    else:  # as deploy/ runs them: the alerts and index processes serve the metrics read below
        config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                             enrich={"model": {"cpu_threads": 1}},
                             tenants=bench_tenants(), worker=WORKER)  # fmt: skip
        layout, env = PER_STAGE, {"alerts": {"VEILLE__METRICS__PORT": str(port)},
                                  "index": {"VEILLE__METRICS__PORT": str(index_port)}}  # fmt: skip
    alone = scorer_capacity(config)
    prepare(config)
    path = write_config(config, folder / "veille.yaml")
    print("processes: " + ", ".join(f"{names} ×{n}" for names, n in layout), flush=True)
    pid = stack.status().pid
    assert pid is not None, "noida-db is not running"
    engine = Engine(pid, stack.data_dir)
    with worker_processes(path, folder, layout, env) as processes:
        pids = {"noida-db": [pid], "bench (load, probe, watch)": [os.getpid()]}
        pids.update({names: [p.pid for p in group] for names, group in processes.items()})
        setup = Setup(config, engine, port, index_port, pids, out, steady_s, crisis_s, trim, rate)
        return _measure(setup, alone)


@dataclass(frozen=True)
class Setup:
    config: VeilleConfig
    engine: Engine
    port: int
    """The metrics port of the alerts worker (incident latency)."""
    index_port: int
    """The metrics port of the index worker (mention latency)."""
    pids: dict[str, list[int]]
    """Processes whose CPU is accounted, by what they run."""
    out: Path
    steady_s: float
    crisis_s: float
    trim: bool
    rate: float | None = None
    """The steady load (mentions/s) when given, instead of 80 % of the measured capacity."""


def _engine(watch: Watch, t_s: float, what: str) -> str:
    sample = watch.engine_at(t_s)
    if sample is None:
        return f"{what}: not sampled"
    return f"{what}: {sample.engine_cpu:.2f} cores, {sample.engine_mb:.0f} MB of state"


def _measure(setup: Setup, alone: float) -> int:
    config, engine, port, steady_s, crisis_s = (setup.config, setup.engine, setup.port,
                                                setup.steady_s, setup.crisis_s)  # fmt: skip
    run = Run(config)
    threads = [threading.Thread(target=probe, args=(run,), daemon=True)]
    threads[0].start()
    try:
        nxt = load(run, 2.0, 10.0, "warm-up", 0)  # groups joined, model loaded
        deadline = time.monotonic() + 300
        while not run.indexed and time.monotonic() < deadline:
            time.sleep(0.5)
        inference, flooded, nxt = pipeline_capacity(run, nxt, FLOOD)
        print(f"a flood of {FLOOD}: {flooded:.1f} mentions/s end to end, the inference group "
              f"alone {inference:.1f}/s while the others lagged ({alone:.1f}/s for the scorer "
              f"alone, nothing else running)", flush=True)  # fmt: skip
        cap, cost_ms, nxt = sustainable_capacity(
            run, setup.pids, nxt, CALIBRATION_SHARE * flooded, steady_s / 10
        )
        rate = setup.rate or SHARE * cap
        print(
            f"capacity: {cap:.1f} mentions/s sustained ({cost_ms:.2f} ms of CPU a mention, "
            f"every process, at {CALIBRATION_SHARE * flooded:.1f}/s for {steady_s / 10:.0f} s); "
            f"steady load {rate:.1f}/s for {steady_s:.0f} s, crisis {CRISIS * rate:.1f}/s for "
            f"{crisis_s:.0f} s",
            flush=True,
        )
        started = time.monotonic()
        threads.append(threading.Thread(target=run.watch.run, daemon=True,
                                        args=(config, engine, started, run.done,
                                              setup.trim)))  # fmt: skip
        threads[1].start()
        steady_from, cpu_from = nxt, cpu_by_process(setup.pids)
        indexed_from = histogram(setup.index_port, "veille_mention_latency_seconds",
                                 hop="fetched_to_indexed")  # fmt: skip
        nxt = load(run, rate, steady_s, "steady", nxt)
        crisis_at = time.monotonic() - started
        cpu_steady = cpu_share(cpu_from, cpu_by_process(setup.pids), crisis_at, nxt - steady_from)
        indexed_steady = indexed_within(
            indexed_from,
            histogram(setup.index_port, "veille_mention_latency_seconds", hop="fetched_to_indexed"),
        )
        nxt = load(run, CRISIS * rate, crisis_s, "crisis", nxt)
        ended = time.monotonic()
        drain = None
        while time.monotonic() - ended < 600:
            time.sleep(1.0)
            if run.watch.drained_after(ended - started):
                drain = time.monotonic() - ended
                break
        time.sleep(2.0)  # the last probes looked up
        incidents = incident_latency(port)
    finally:
        run.done.set()
        for thread in threads:
            if thread.is_alive():
                thread.join(10)
    marks = {"crisis": crisis_at, "end": ended - started}
    plot = run.watch.write(setup.out, marks)
    for phase in ("steady", "crisis"):
        got, missing = latencies(run, phase)
        print(f"raw-in → indexed, {phase}: {quantiles(got)}; {missing} probe(s) never seen")
    print(f"index worker's histogram, mentions indexed during the steady load: {indexed_steady}")
    print(f"CPU during the steady load: {cpu_steady}")
    print(f"raw-in → incident-out: {incidents}")
    print(
        f"backlog drain after the crisis: "
        f"{f'{drain:.1f} s' if drain is not None else 'not drained within 600 s'}"
    )
    print(
        f"lag over time: {plot}; {nxt} mentions sent"
        + (f"; {run.watch.trimmed} consumed records deleted (--trim)" if setup.trim else "")
    )
    print("noida-db (" + "; ".join(_engine(run.watch, t, what) for t, what in (
        (5.0, "at the start"), (crisis_at - 5.0, "end of the steady load"),
        (ended - started - 5.0, "end of the crisis"))) + ")")  # fmt: skip
    steady = sorted(latencies(run, "steady")[0])
    p95 = steady[int(0.95 * len(steady))] if steady else float("inf")
    print(f"target p95 ≤ 2 s at the steady load: {'met' if p95 <= 2 else 'NOT met'} ({p95:.2f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_pipeline")
    parser.add_argument("--quick", action="store_true", help="60 s + 20 s instead of 600 + 120")
    parser.add_argument("--out", type=Path, default=Path("."), help="where the lag CSV/PNG go")
    parser.add_argument("--one-process", action="store_true",
                        help="`veille run enrich stories index alerts` in one process instead "
                             "of each stage in processes of its own")  # fmt: skip
    parser.add_argument("--trim", action="store_true",
                        help="delete what every group has consumed, every 5 s (DeleteRecords):"
                             " noida-db's cost grows with the log it keeps, Kafka's does not"
                        )  # fmt: skip
    parser.add_argument("--rate", type=float,
                        help="the steady load (mentions/s) instead of 80 %% of the measured "
                             "capacity, to compare settings at one load")  # fmt: skip
    args = parser.parse_args(argv or [])
    steady_s, crisis_s = (60.0, 20.0) if args.quick else (600.0, 120.0)
    print(
        f"{'quick' if args.quick else 'full'} run: {steady_s:.0f} s steady, {crisis_s:.0f} s crisis"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    with temporary_stack() as (stack, folder):
        return measure(
            stack, folder, args.out, steady_s, crisis_s, args.one_process, args.trim, args.rate
        )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
