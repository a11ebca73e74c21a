"""Detection quality on generated streams (bench/scenarios.py): delay from crisis onset,
recall on crises, and false pages per brand per week on the traffic after the warm-up.
Targets: median delay ≤ 10 min of event time, recall ≥ 95 %, ≤ 1 false page/brand/week."""

from collections import defaultdict
from datetime import timedelta

from alerts.replay.batch import replay_batch
from bench.scenarios import Crisis, evaluate, generate
from schemas.config import DetectionSettings

SEEDS = (7, 8, 9)


def main() -> int:
    rule = DetectionSettings()
    delays: list[float] = []
    by_shape: dict[str, list[float]] = defaultdict(list)
    crises = detected = false_pages = 0
    brand_weeks = 0.0
    missed: list[Crisis] = []
    for seed in SEEDS:
        scenario = generate(seed=seed, brands=20, weeks=6)
        transitions = replay_batch(scenario.observations, lambda t, b: rule)
        pages = [(t.incident.brand, t.at) for t in transitions
                 if t.event == "opened" and t.incident.kind == "crisis"]  # fmt: skip
        report = evaluate(scenario, pages)
        crises += report.crises
        detected += report.detected
        false_pages += report.false_pages
        brand_weeks += report.brand_weeks
        missed += report.missed
        delays += report.delays_min
        for crisis in scenario.crises:
            hit = [at for brand, at in pages if brand == crisis.brand
                   and crisis.onset <= at <= crisis.onset + timedelta(hours=3)]  # fmt: skip
            if hit and crisis.onset >= scenario.warmup_end:
                by_shape[crisis.shape].append((hit[0] - crisis.onset).total_seconds() / 60)
    ordered = sorted(delays)
    median, p90 = ordered[len(ordered) // 2], ordered[int(0.9 * len(ordered))]
    recall = detected / crises
    per_week = false_pages / brand_weeks
    print(f"{len(SEEDS)} streams × 20 brands × 6 weeks (2 of warm-up); {crises} crises")
    print(f"delay from onset: median {median:.0f} min, p90 {p90:.0f} min (target median ≤ 10)")
    for shape, values in sorted(by_shape.items()):
        values.sort()
        print(f"  {shape:<14} median {values[len(values) // 2]:.0f} min over {len(values)}")
    print(f"recall: {recall:.1%} (target ≥ 95 %); missed: "
          f"{', '.join(f'{c.shape} {c.onset:%a %H:%M}' for c in missed) or 'none'}")  # fmt: skip
    print(f"false pages: {false_pages} over {brand_weeks:.0f} brand-weeks = "
          f"{per_week:.2f} per brand per week (target ≤ 1)")  # fmt: skip
    return 0
