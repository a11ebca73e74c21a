"""The Numenta Anomaly Benchmark's score, standard profile, for detections at instants.

A series is a list of row instants (one per 5-minute count) with labelled windows
(first, last instant, both included). A detection is an instant; it falls on the last row at
or before it. Rules (NAB's sweeper, standard profile):
- probation: rows before `probation_rows(n)` = min(⌊0.15·n⌋, 0.15·5000) are not scored;
- in a window, only its first detection counts, worth σ(y)/σ(-1) with the scaled sigmoid
  σ(y) = 2/(1 + e^{5y}) − 1 and y = −(last row − row + 1)/window rows (≈ 1 at the window's
  start, 0 at its end); a window without one costs FN_WEIGHT;
- a detection outside every window costs FP_WEIGHT, scaled: −1 before the first window,
  σ(distance past the previous window's end / (its rows − 1)) after one (σ = −1 beyond 3);
- normalised over all series: 100 × (raw − null) / (perfect − null), where null (no
  detection) = −FN_WEIGHT per window and perfect = TP_WEIGHT per window.
"""

import bisect
import math
from dataclasses import dataclass
from datetime import datetime

TP_WEIGHT, FP_WEIGHT, FN_WEIGHT = 1.0, 0.11, 1.0
PROBATION = 0.15


def scaled_sigmoid(y: float) -> float:
    return -1.0 if y > 3.0 else 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation_rows(rows: int) -> int:
    return int(min(math.floor(PROBATION * rows), PROBATION * 5000))


@dataclass(frozen=True)
class SeriesScore:
    raw: float
    windows: int
    caught: int
    false_alarms: int
    scored_seconds: float  # the time after probation, for false alarms per week


def score_series(
    rows: list[datetime], windows: list[tuple[datetime, datetime]], detections: list[datetime]
) -> SeriesScore:
    """The raw (unnormalised) score of one series."""
    spans = [(bisect.bisect_left(rows, a), bisect.bisect_right(rows, b) - 1) for a, b in windows]
    first_scored = probation_rows(len(rows))
    hit_rows = sorted({bisect.bisect_right(rows, d) - 1 for d in detections} - {-1})
    raw, false_alarms = 0.0, 0
    caught: set[int] = set()
    max_tp = scaled_sigmoid(-1.0)
    for row in hit_rows:
        if row < first_scored:
            continue
        inside = [k for k, (a, b) in enumerate(spans) if a <= row <= b]
        if inside:
            k = inside[0]
            if k not in caught:
                caught.add(k)
                a, b = spans[k]
                raw += scaled_sigmoid(-(b - row + 1) / (b - a + 1)) * TP_WEIGHT / max_tp
            continue
        false_alarms += 1
        before = [(a, b) for a, b in spans if b < row]
        if not before:
            raw += -1.0 * FP_WEIGHT
        else:
            a, b = before[-1]
            raw += scaled_sigmoid(abs(b - row) / (b - a)) * FP_WEIGHT
    raw -= FN_WEIGHT * (len(spans) - len(caught))
    scored = (rows[-1] - rows[min(first_scored, len(rows) - 1)]).total_seconds()
    return SeriesScore(raw, len(spans), len(caught), false_alarms, scored)


def normalised(scores: list[SeriesScore]) -> float:
    windows = sum(s.windows for s in scores)
    null, perfect = -FN_WEIGHT * windows, TP_WEIGHT * windows
    return 100.0 * (sum(s.raw for s in scores) - null) / (perfect - null)
