"""The whole pipeline under load, on an embedded stack of its own (noida-db): each stage in
processes of its own as deploy/ runs them (two inference workers of one torch thread each,
one each of stories, index and alerts: bench/stack.py `PER_STAGE`; `--one-process`: `veille
run enrich stories index alerts` in one process instead), fed on `mentions.raw` at 80 % of
this machine's enrich capacity for a steady period, then at 3× that for a crisis; then the
backlog drains.

Capacity is measured first, in the same run, inside the running pipeline: 4,000 mentions sent
at once, and the rate until every group has committed them, every stage, noida-db and the
load generator sharing the cores (`pipeline_capacity`; the steady load is 80 % of it). The
scorer alone (the default model over 512 texts, nothing else running) is printed beside it:
on two cores the other stages take a large share, so 80 % of the scorer alone is an overload,
not a steady load. Figures:
- raw-in → indexed per mention, p50/p95/p99, for the mentions sent in each phase: every 5th
  mention is a probe, looked up by id (`mget`, real time) every 250 ms from its send;
- raw-in → incident-out: from the worker's `veille_incident_latency_seconds` histogram
  (bucket bounds, so a range), and the incidents opened;
- lag over time per consumer group (end offsets − committed), beside noida-db's CPU and the
  size of the state it holds, written as CSV and, when matplotlib is installed, a PNG
  (bench/pipeline_watch.py); backlog drain time: from the end of the crisis until every
  group's lag is back to 0.
Target: p95 raw-in → indexed ≤ 2 s at the steady load.

`python -m bench.bench_pipeline [--quick] [--one-process] [--out DIR]`: 600 s + 120 s, or
60 s + 20 s with `--quick`; `python -m bench pipeline` runs the full one.
"""

import argparse
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bench.pipeline_watch import Engine, GroupLags, Watch, caught_up
from bench.stack import PER_STAGE, Layout, temporary_stack, worker_processes
from enrich.sentiment import compose_input
from runtime.indices import make_client, mention_index
from runtime.kafka import DurableProducer, make_producer
from schemas.config import VeilleConfig
from schemas.mention import Author, Mention, mention_id
from schemas.topics import Topics, raw_key
from tests.helpers import free_port, make_config, write_config
from veille.runner import build_scorer, prepare
from veille.stack import EmbeddedStack

WORKERS = ("enrich", "stories", "index", "alerts")
SHARE, CRISIS = 0.8, 3.0
FLOOD = 4000
"""Mentions sent at once to measure the enrich capacity inside the pipeline."""
PROBE_EVERY = 5
PROBE_BATCH = 500
CALM = ["Vol Air Volaris correct, rien à signaler", "Merci Air Volaris, équipage adorable"]
GRIEFS = [
    "a perdu ma valise",
    "a annulé mon vol sans explication",
    "m'a facturé deux fois",
    "a surbooké le vol",
    "refuse de me rembourser",
    "a cassé la poussette",
    "m'a laissé six heures au sol",
    "a changé mon siège sans prévenir",
]
PLACES = [
    "à Orly",
    "à Nantes",
    "à Lyon",
    "à Marseille",
    "à Bordeaux",
    "à Nice",
    "à Lille",
    "à Toulouse",
    "à Roissy",
    "à Brest",
]
VERDICTS = ["inadmissible", "honteux", "scandaleux", "plus jamais", "service client injoignable",
            "aucune excuse", "je porte plainte", "on nous prend pour des idiots"]  # fmt: skip
"""The crisis: angry posts of many stories (grief × place: about 80 near-duplicate clusters),
as a real bad buzz, so the detector, which counts stories, not copies, can open an incident."""


BRANDS = ["air-volaris", *(f"marque-{n:02}" for n in range(1, 30))]
"""The tenant's brands: the steady load spreads calm posts over all of them, the crisis is
all on the first, so that brand goes from 1/30 of the steady load to the whole crisis load
(about 90× its rate), as when one brand of an agency's thirty is hit."""


def bench_tenants() -> list[dict[str, Any]]:
    """The `tenants` of the bench's config: one agency, `BRANDS`, default detection."""
    return [{"id": "agence-horizon", "name": "Agence Horizon", "brands": [
        {"id": b, "name": b, "queries": [{"id": "nom", "query": f'"{b.replace("-", " ")}"'}]}
        for b in BRANDS]}]  # fmt: skip


_TEXTS = random.Random(2026)
"""The load generator's texts (one thread sends)."""


def angry_text(rng: random.Random) -> str:
    return (f"Air Volaris {rng.choice(GRIEFS)} {rng.choice(PLACES)}, "
            f"{rng.choice(VERDICTS)}")  # fmt: skip


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


@dataclass
class Run:
    config: VeilleConfig
    sent: dict[str, tuple[float, str, datetime]] = field(default_factory=dict)
    """probe id → (wall time sent, phase, published_at)."""
    indexed: dict[str, float] = field(default_factory=dict)
    watch: Watch = field(default_factory=Watch)
    phase: str = "warm-up"
    done: threading.Event = field(default_factory=threading.Event)


def _mention(i: int, angry: bool, now: datetime) -> Mention:
    text = f"{angry_text(_TEXTS) if angry else _TEXTS.choice(CALM)} #{i}"
    brand = BRANDS[0] if angry else BRANDS[i % len(BRANDS)]
    return Mention(
        id=mention_id("agence-horizon", "bench", f"p{i}"), tenant="agence-horizon",
        brands=[brand], queries=["nom"], source="bench", source_kind="replay",
        native_id=f"p{i}", url=f"https://b.example/{i}", author=Author(handle=f"@u{i % 997}"),
        text=text, lang="fr", published_at=now, fetched_at=now,
    )  # fmt: skip


def load(
    run: Run, rate: float, seconds: float, phase: str, first: int, count: int | None = None
) -> int:
    """Send at `rate` mentions/s for `seconds` (or `count` mentions at once, unprobed);
    return the next index."""
    producer = DurableProducer(make_producer(run.config.kafka, "bench-pipeline"))
    topic = Topics(run.config.kafka.topic_prefix).raw
    run.phase = phase
    started, i = time.monotonic(), first
    if count is not None:
        for j in range(first, first + count):
            m = _mention(j, False, datetime.now(UTC))
            producer.send(topic, raw_key(m), m.model_dump_json().encode())
        producer.flush()
        producer.close()
        return first + count
    while (elapsed := time.monotonic() - started) < seconds:
        due = first + int(rate * elapsed)
        now = datetime.now(UTC)
        for j in range(i, due):
            m = _mention(j, phase == "crisis", now)
            producer.send(topic, raw_key(m), m.model_dump_json().encode())
            if j % PROBE_EVERY == 0:
                run.sent[m.id] = (time.time(), phase, now)
        i = due
        producer.flush()
        time.sleep(0.02)
    producer.close()
    return i


def probe(run: Run) -> None:
    """Every 250 ms, look up the `PROBE_BATCH` oldest probes not yet seen indexed. Bounded so
    that a backlog does not turn the probe itself into a load on the search engine (looking
    up every pending probe made noida-db the bottleneck of a falling-behind run); under a
    backlog a probe is found at most a few rounds late, while a pipeline keeping up has
    fewer pending than that."""
    es = make_client(run.config.elasticsearch)
    while not run.done.is_set():
        pending = list(islice((k for k in list(run.sent) if k not in run.indexed), PROBE_BATCH))
        if pending:
            docs = [{"_index": mention_index(run.config.elasticsearch, "agence-horizon",
                                             run.sent[k][2]), "_id": k}
                    for k in pending]  # fmt: skip
            found = es.mget(docs=docs, source=False)["docs"]
            now = time.time()
            for doc in found:
                if doc.get("found"):
                    run.indexed[doc["_id"]] = now - run.sent[doc["_id"]][0]
        run.done.wait(0.25)


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


def latencies(run: Run, phase: str) -> tuple[list[float], int]:
    """Raw-in → indexed of the probes sent in `phase`, and how many were never seen."""
    probes = [k for k, (_, p, _) in run.sent.items() if p == phase]
    return [run.indexed[k] for k in probes if k in run.indexed], sum(
        k not in run.indexed for k in probes
    )


def quantiles(values: list[float]) -> str:
    if not values:
        return "none measured"
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return f"p50 {q(0.5):.2f} s, p95 {q(0.95):.2f} s, p99 {q(0.99):.2f} s (n={len(ordered)})"


def incident_latency(port: int) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    buckets: list[tuple[float, float]] = []
    for family in text_string_to_metric_families(text):
        if family.name == "veille_incident_latency_seconds":
            buckets = [(float(s.labels["le"]), s.value) for s in family.samples
                       if s.name.endswith("_bucket")]  # fmt: skip
    total = buckets[-1][1] if buckets else 0
    if not total:
        return "no incident opened"
    bounds = []
    for p in (0.5, 0.95, 0.99):
        bound = next(le for le, count in buckets if count >= p * total)
        bounds.append(f"p{int(p * 100)} ≤ {bound:g} s")
    return f"{int(total)} incident(s) opened: " + ", ".join(bounds) + " (histogram buckets)"


def measure(
    stack: EmbeddedStack, folder: Path, out: Path, steady_s: float, crisis_s: float,
    one_process: bool,
) -> int:  # fmt: skip
    port = free_port()
    if one_process:  # `veille run` with every worker: one metrics port, the default threads
        config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                             metrics={"port": port}, tenants=bench_tenants())  # fmt: skip
        layout: Layout = ((" ".join(WORKERS), 1),)
        env = {}
    else:  # as deploy/ runs them: the alerts process serves the metrics read below
        config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                             enrich={"model": {"cpu_threads": 1}},
                             tenants=bench_tenants())  # fmt: skip
        layout, env = PER_STAGE, {"alerts": {"VEILLE__METRICS__PORT": str(port)}}
    alone = scorer_capacity(config)
    prepare(config)
    path = write_config(config, folder / "veille.yaml")
    print("processes: " + ", ".join(f"{names} ×{n}" for names, n in layout), flush=True)
    pid = stack.status().pid
    assert pid is not None, "noida-db is not running"
    engine = Engine(pid, stack.data_dir)
    with worker_processes(path, folder, layout, env):
        return _measure(config, engine, port, out, steady_s, crisis_s, alone)


def _engine(watch: Watch, t_s: float, what: str) -> str:
    sample = watch.engine_at(t_s)
    if sample is None:
        return f"{what}: not sampled"
    return f"{what}: {sample.engine_cpu:.2f} cores, {sample.engine_mb:.0f} MB of state"


def _measure(
    config: VeilleConfig, engine: Engine, port: int, out: Path, steady_s: float,
    crisis_s: float, alone: float,
) -> int:  # fmt: skip
    run = Run(config)
    threads = [threading.Thread(target=probe, args=(run,), daemon=True)]
    threads[0].start()
    try:
        nxt = load(run, 2.0, 10.0, "warm-up", 0)  # groups joined, model loaded
        deadline = time.monotonic() + 300
        while not run.indexed and time.monotonic() < deadline:
            time.sleep(0.5)
        inference, cap, nxt = pipeline_capacity(run, nxt, FLOOD)
        rate = SHARE * cap
        print(
            f"capacity inside the running pipeline: {cap:.1f} mentions/s end to end, the "
            f"inference group alone {inference:.1f}/s while the others lagged ({alone:.1f}/s "
            f"for the scorer alone, nothing else running); steady load "
            f"{rate:.1f}/s for {steady_s:.0f} s, crisis {CRISIS * rate:.1f}/s for {crisis_s:.0f} s",
            flush=True,
        )
        started = time.monotonic()
        threads.append(threading.Thread(target=run.watch.run, daemon=True,
                                        args=(config, engine, started, run.done)))  # fmt: skip
        threads[1].start()
        nxt = load(run, rate, steady_s, "steady", nxt)
        crisis_at = time.monotonic() - started
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
    plot = run.watch.write(out, marks)
    for phase in ("steady", "crisis"):
        got, missing = latencies(run, phase)
        print(f"raw-in → indexed, {phase}: {quantiles(got)}; {missing} probe(s) never seen")
    print(f"raw-in → incident-out: {incidents}")
    print(
        f"backlog drain after the crisis: "
        f"{f'{drain:.1f} s' if drain is not None else 'not drained within 600 s'}"
    )
    print(f"lag over time: {plot}; {nxt} mentions sent")
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
    args = parser.parse_args(argv or [])
    steady_s, crisis_s = (60.0, 20.0) if args.quick else (600.0, 120.0)
    print(
        f"{'quick' if args.quick else 'full'} run: {steady_s:.0f} s steady, {crisis_s:.0f} s crisis"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    with temporary_stack() as (stack, folder):
        return measure(stack, folder, args.out, steady_s, crisis_s, args.one_process)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
