"""The figures `bench_pipeline` reads out of a run: quantiles of the probes' latencies, the
workers' histograms (mention and incident latency, from their `/metrics`), and the CPU each
process kind used over a phase."""

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from bench.pipeline_watch import cpu_s


def quantiles(values: list[float]) -> str:
    if not values:
        return "none measured"
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return f"p50 {q(0.5):.2f} s, p95 {q(0.95):.2f} s, p99 {q(0.99):.2f} s (n={len(ordered)})"


Buckets = list[tuple[float, float]]
"""A histogram's cumulative buckets: (upper bound, count)."""


def histogram(port: int, name: str, **labels: str) -> Buckets:
    """The buckets of histogram `name` (the series with `labels`) a worker serves."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    for family in text_string_to_metric_families(text):
        if family.name == name:
            return [(float(s.labels["le"]), s.value) for s in family.samples
                    if s.name.endswith("_bucket")
                    and all(s.labels.get(k) == v for k, v in labels.items())]  # fmt: skip
    return []


def indexed_within(before: Buckets, after: Buckets, bound: float = 2.0) -> str:
    """From the index worker's `fetched_to_indexed` histogram, read before and after a phase:
    the share of that phase's mentions (every one, not only the probes) indexed within
    `bound` s of their sending (the bench stamps `fetched_at` as it sends)."""
    counts = {le: n - dict(before).get(le, 0.0) for le, n in after}
    total = counts.get(float("inf"), 0.0)
    if not total:
        return "no mention indexed"
    return f"{counts[bound] / total:.1%} of {int(total)} indexed within {bound:g} s"


def incident_latency(port: int) -> str:
    buckets = histogram(port, "veille_incident_latency_seconds")
    total = buckets[-1][1] if buckets else 0
    if not total:
        return "no incident opened"
    bounds = []
    for p in (0.5, 0.95, 0.99):
        bound = next(le for le, count in buckets if count >= p * total)
        bounds.append(f"p{int(p * 100)} ≤ {bound:g} s")
    return f"{int(total)} incident(s) opened: " + ", ".join(bounds) + " (histogram buckets)"


def cpu_by_process(pids: dict[str, list[int]]) -> dict[str, float]:
    return {what: sum(cpu_s(pid) for pid in group) for what, group in pids.items()}


def cpu_share(before: dict[str, float], after: dict[str, float], seconds: float,
              mentions: int) -> str:  # fmt: skip
    """Cores and CPU ms per mention each process kind used over a phase."""
    used = {what: after[what] - before[what] for what in before}
    parts = [f"{what} {cpu / seconds:.2f} cores ({1000 * cpu / max(mentions, 1):.2f} ms/mention)"
             for what, cpu in sorted(used.items(), key=lambda kv: -kv[1])]  # fmt: skip
    return f"{sum(used.values()) / seconds:.2f} cores in all: " + "; ".join(parts)
