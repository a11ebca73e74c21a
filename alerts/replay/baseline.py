"""The expected window at every bucket of a brand, at once: what HourOfWeekBaseline, learning
one hour at a time, would answer — for the replay engine (alerts/replay/batch.py).

When the live monitor judges bucket t it has learned every hour before t's own (one sample
an hour: the hour's signal per bucket) and asks `window_expected` for the window ending at t.
In replay every sample is known up front, so each answer is computed from them directly: the
median of the last SLOT_WEEKS samples of the hour's slot of the week (or that of its hour of
the day, after a level shift), else of the last
DAY_SAMPLES of its hour of the day, else the overall mean, else the floor — with the same
float operations in the same order, so the values are equal bit for bit (a test holds them
equal, across daylight-saving changes).
"""

import numpy as np
import numpy.typing as npt

from alerts.detection.baseline import (
    DAY_MIN_SAMPLES,
    DAY_SAMPLES,
    LEVEL_SHIFT,
    SLOT_WEEKS,
    HourOfWeekBaseline,
    overall_means,
)
from schemas.config import DetectionSettings

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


class WindowBaselines:
    """The buckets b0 … b0+size-1 of one brand and the hours their windows touch."""

    def __init__(self, rule: DetectionSettings, base: HourOfWeekBaseline, b0: int, size: int):
        self.rule = rule
        per_hour = 60 // rule.bucket_minutes
        k = rule.window_minutes // rule.bucket_minutes
        self.spans = (k + per_hour - 1) // per_hour + 1  # the most hours a window touches
        self.per_hour = per_hour
        first_hour = b0 // per_hour
        last_hour = (b0 + size - 1) // per_hour
        self.slots = np.array(
            [base.slot(h * 3600) for h in range(first_hour - self.spans + 1, last_hour + 1)],
            np.int64,
        )  # slots[spans - 1 + j]: the slot of hour first_hour + j
        buckets = b0 + np.arange(size, dtype=np.int64)
        hours = buckets // per_hour
        self.learned = hours - first_hour  # hours learned when each bucket is judged
        self.counts: list[Ints] = []  # per lag, oldest first: each window's buckets in that hour
        for lag in range(self.spans - 1, -1, -1):
            hour = hours - lag
            inside = np.minimum(buckets, hour * per_hour + per_hour - 1)
            self.counts.append(inside - np.maximum(buckets - k + 1, hour * per_hour) + 1)

    def expected(self, hourly: Floats) -> Floats:
        """Per bucket: the expected signal of the window ending there, as `window_expected`
        gives it once the hours before the bucket's own are learned from `hourly` (the
        signal of each hour, from b0's on)."""
        table = _expected_by_lag(self.rule, self.slots, hourly / self.per_hour, self.spans)
        total = np.zeros(len(self.learned))
        for lag, n in zip(range(self.spans - 1, -1, -1), self.counts, strict=True):
            total = np.where(n > 0, total + table[self.learned, lag] * n, total)  # in time order
        return total


def _expected_by_lag(rule: DetectionSettings, slots: Ints, samples: Floats, spans: int) -> Floats:
    """[c, lag]: `expected(slot of hour first+c-lag)` once the first c samples are learned."""
    hours = len(samples)
    learned = np.repeat(np.arange(hours, dtype=np.int64), spans)
    lag = np.tile(np.arange(spans, dtype=np.int64), hours)
    asked = slots[spans - 1 + learned - lag]
    sample_slots = slots[spans - 1 :]
    week_held, week = _recent_medians(sample_slots, samples, asked, learned, SLOT_WEEKS)
    day_held, day = _recent_medians(sample_slots % 24, samples, asked % 24, learned, DAY_SAMPLES)
    floor = rule.baseline_floor
    use_week = week_held >= rule.baseline_slot_weeks
    use_day = ~use_week & (day_held >= DAY_MIN_SAMPLES)
    use_overall = ~use_week & ~use_day & (learned >= rule.baseline_warmup_hours)
    overall = np.full(len(learned), floor)
    if use_overall.any():
        last = int(learned[use_overall].max())  # the overall mean is only needed early on
        means = np.array([0.0, *overall_means(samples[:last].tolist(),
                                              rule.baseline_warmup_hours)])  # fmt: skip
        overall[use_overall] = np.maximum(floor, means[learned[use_overall]])
    week = np.where((day_held >= DAY_MIN_SAMPLES) & (day >= LEVEL_SHIFT * week), day, week)
    result = np.where(use_week, np.maximum(floor, week),
                      np.where(use_day, np.maximum(floor, day), overall))  # fmt: skip
    return result.reshape(hours, spans)


def _recent_medians(groups: Ints, values: Floats, asked: Ints, learned: Ints,
                    keep: int) -> tuple[Ints, Floats]:  # fmt: skip
    """Per query q: of the samples among the first learned[q] whose group is asked[q], how
    many a deque of `keep` holds, and their median as `_Median.value` computes it."""
    n = len(values)
    if n == 0:
        return np.zeros(len(asked), np.int64), np.zeros(len(asked))
    order = np.argsort(groups, kind="stable")  # by group, then in learning order
    span = n + 1
    keys = groups[order] * span + order
    first = np.searchsorted(keys, asked * span)
    end = np.searchsorted(keys, asked * span + learned)
    held = np.minimum(end - first, keep)
    lanes = np.arange(keep)
    at = np.clip(end[:, None] - keep + lanes, 0, n - 1)  # the last `keep`, oldest first
    window = np.where(lanes >= keep - held[:, None], values[order][at], np.nan)
    window.sort(axis=1)  # the held samples in order, then NaN
    middle = held // 2
    rows = np.arange(len(asked))
    upper = window[rows, middle]
    lower = window[rows, np.maximum(middle - 1, 0)]
    medians: Floats = np.where(held % 2 == 1, upper, (lower + upper) / 2)
    return held, medians
