"""The replay's expected windows, learned all at once, equal the live baseline's bit for bit."""

import random
from datetime import UTC, datetime

import numpy as np
import pytest

from alerts.detection.baseline import HourOfWeekBaseline
from alerts.replay.baseline import WindowBaselines
from schemas.config import DetectionSettings


def live_expected(rule: DetectionSettings, b0: int, hourly: list[float], size: int) -> list[float]:
    """What the live monitor asks at each bucket, learning each hour before the bucket's own."""
    base = HourOfWeekBaseline(rule.timezone, rule.baseline_slot_weeks,
                              rule.baseline_warmup_hours, rule.baseline_floor)  # fmt: skip
    bucket_s, per_hour = rule.bucket_minutes * 60, 60 // rule.bucket_minutes
    k = rule.window_minutes // rule.bucket_minutes
    first_hour, learned, out = b0 // per_hour, 0, []
    for index in range(b0, b0 + size):
        while first_hour + learned < index // per_hour:
            hour = first_hour + learned
            base.update(base.slot(hour * 3600), hourly[learned] / per_hour)
            learned += 1
        out.append(base.window_expected((index - k + 1) * bucket_s, k, bucket_s))
    return out


LONG_WINDOW_SIX_WEEKS = {"bucket_minutes": 15, "window_minutes": 240, "baseline_slot_weeks": 6}


@pytest.mark.parametrize(
    ("timezone", "start", "rule"),
    [
        ("Europe/Paris", "2026-03-20", {}),  # spring forward on the 29th: an hour is skipped
        ("Europe/Paris", "2026-10-20", {"baseline_slot_weeks": 1}),  # an hour comes twice
        ("America/New_York", "2026-03-01", {"bucket_minutes": 5, "window_minutes": 15}),
        ("Asia/Kolkata", "2026-05-04", {"window_minutes": 90, "baseline_warmup_hours": 2}),
        ("Australia/Lord_Howe", "2026-03-30", {"bucket_minutes": 60, "window_minutes": 180}),
        ("UTC", "2026-01-05", LONG_WINDOW_SIX_WEEKS),  # more weeks than a slot keeps
    ],
)
def test_expected_windows_equal_the_live_baseline(timezone: str, start: str,
                                                  rule: dict[str, object]) -> None:  # fmt: skip
    chosen = DetectionSettings.model_validate({"timezone": timezone, **rule})
    per_hour = 60 // chosen.bucket_minutes
    rng = random.Random(timezone + start)
    epoch = datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp()
    b0 = int(epoch) // (chosen.bucket_minutes * 60) + rng.randrange(per_hour)  # mid-hour
    hours = 24 * 7 * 3 + 5
    size = hours * per_hour - b0 % per_hour
    hourly = [rng.choice([0.0, 0.0, 1.0, 2.5, rng.uniform(0, 30) * per_hour]) for _ in range(hours)]
    base = HourOfWeekBaseline(chosen.timezone, chosen.baseline_slot_weeks,
                              chosen.baseline_warmup_hours, chosen.baseline_floor)  # fmt: skip
    batch = WindowBaselines(chosen, base, b0, size).expected(np.array(hourly))
    assert batch.tolist() == live_expected(chosen, b0, hourly, size)
