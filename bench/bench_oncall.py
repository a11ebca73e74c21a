"""On-call resolution: 1,000 tenants × 10 rotations, resolved per second.

Each tenant has 10 schedules of one rotation layer (daily, weekly or 12-hour custom shifts,
2 to 5 members, started 1 to 3 years before, in Paris, New York or Lord Howe time, a third
with a nights or weekends restriction). A sweep asks `on_call` for all 10,000 rotations at
one instant; instants are spread over a year, DST nights included. Baseline, same run: the
naive expansion (every shift generated from the layer's start, then scanned for the one
covering the instant), on a sample, which must agree with `on_call` on each answer.
"""

import random
import time
from datetime import UTC, date, datetime, timedelta

from alerts.notify.oncall import on_call
from alerts.notify.oncall.restrictions import allows
from alerts.notify.oncall.wallclock import instant
from schemas.config import LayerSettings, OnCallSettings, ScheduleSettings

TENANTS = 1_000
ROTATIONS = 10
ZONES = ("Europe/Paris", "America/New_York", "Australia/Lord_Howe")
NIGHTS = [{"start": "20:00", "end": "08:00"}]
WEEKENDS = [{"start": "fri 19:00", "end": "mon 08:00"}]
RESTRICTIONS: tuple[list[dict[str, str]], ...] = ([], NIGHTS, WEEKENDS)
INSTANTS = [
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the Paris spring night
    datetime(2026, 10, 25, 1, 15, tzinfo=UTC),  # the Paris autumn repeated hour
    datetime(2026, 11, 21, 21, 0, tzinfo=UTC),  # the demo's Saturday night
    datetime(2026, 7, 14, 12, 0, tzinfo=UTC),
]


def make_tenant(rng: random.Random, t: int) -> OnCallSettings:
    people = [{"id": f"p{i}", "name": f"Personne {i}"} for i in range(8)]
    schedules = []
    for r in range(ROTATIONS):
        length = rng.choice(["daily", "weekly", "custom"])
        layer = {
            "id": "rotation",
            "members": [f"p{i}" for i in rng.sample(range(8), rng.randint(2, 5))],
            "length": length,
            "length_hours": 12 if length == "custom" else None,
            "handoff": f"{rng.randrange(24):02d}:{rng.choice([0, 30]):02d}",
            "start": (date(2026, 1, 1) - timedelta(days=rng.randint(365, 3 * 365))).isoformat(),
            "restrictions": rng.choice(RESTRICTIONS),
        }
        schedules.append({"id": f"s{r}", "time_zone": rng.choice(ZONES), "layers": [layer]})
    return OnCallSettings.model_validate({"people": people, "schedules": schedules})


def naive_member(layer: LayerSettings, schedule: ScheduleSettings, at: datetime) -> str | None:
    """Every shift from the start, scanned: the last one that started at or before `at`."""
    if not allows(layer.restrictions, schedule.zone, at):
        return None
    assert layer.start is not None
    origin = datetime.combine(layer.start, layer.handoff)
    found, k = None, 0
    shifts = [instant(origin + timedelta(hours=k * layer.shift_hours), schedule.zone)]
    while shifts[-1] <= at:
        k += 1
        shifts.append(instant(origin + timedelta(hours=k * layer.shift_hours), schedule.zone))
    for index, start in enumerate(shifts[:-1]):
        if start <= at < shifts[index + 1]:
            found = layer.members[index % len(layer.members)]
    return found


def resolved(oncall: OnCallSettings, schedule_id: str, at: datetime) -> str | None:
    found = on_call(oncall, schedule_id, at)
    return found[0].id if found else None


def main() -> int:
    rng = random.Random(10)
    tenants = [make_tenant(rng, t) for t in range(TENANTS)]
    pairs = [(oncall, s) for oncall in tenants for s in oncall.schedules]
    started = time.perf_counter()
    for at in INSTANTS:
        for oncall, schedule in pairs:
            resolved(oncall, schedule.id, at)
    fast = len(pairs) * len(INSTANTS) / (time.perf_counter() - started)

    sample = rng.sample(pairs, 200)
    started = time.perf_counter()
    naive = [naive_member(s.layers[0], s, at) for at in INSTANTS for _, s in sample]
    baseline = len(naive) / (time.perf_counter() - started)
    indexed = [resolved(o, s.id, at) for at in INSTANTS for o, s in sample]
    if indexed != naive:
        wrong = next(i for i, (a, b) in enumerate(zip(indexed, naive, strict=True)) if a != b)
        print(f"on_call and the naive expansion disagree (answer {wrong}: {indexed[wrong]} vs "
              f"{naive[wrong]})")  # fmt: skip
        return 1
    print(f"rotations: {TENANTS:,} tenants × {ROTATIONS} = {len(pairs):,}; "
          f"instants: {len(INSTANTS)} (DST nights included)")  # fmt: skip
    print(f"on_call: {fast:,.0f} rotations resolved/s "
          f"({fast / len(pairs):.1f} sweeps of all {len(pairs):,} per second)")  # fmt: skip
    print(f"baseline (every shift expanded from the start, then scanned): {baseline:,.0f} "
          f"rotations/s on a sample of {len(naive)}")  # fmt: skip
    print(f"ratio on_call / baseline: {fast / baseline:.0f}x (same answers on the sample)")
    return 0
