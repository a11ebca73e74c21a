"""The brand's usual peaks: how surprising its biggest bursts of the last four weeks were,
so that a burst is judged against the brand's own heavy tail.

A real stream is not Poisson: a brand whose mentions come in bursts (retweet storms, a
product news cycle) is ×10 its usual for ten minutes several times a week, and paging each
of them teaches its community manager to mute the pager. Each hour keeps the largest
`rules.surprise` of its windows that could be elevated (`rules.peak_candidate`). An hour
whose peak is beyond Poisson noise (at least `rules.surprise_floor`, and above 0) is a burst
hour; a run of consecutive burst hours is one burst (an episode), worth its largest hourly
peak — so a storm that lasts six hours counts once, not six times. The usual peak is the
`PEAK_RANK`-th largest burst of the last `PEAK_HOURS` hours (a burst belongs to the hour it
last reached; one still going on counts with its peak so far). A burst must be at least as
surprising (`rules.beyond_usual_peak`). A Poisson-like brand's usual peak stays near
`surprise_min`, so its bursts page as before; one crisis does not raise the bar for the
next, being one burst among `PEAK_RANK`. Measured on real brand tweet volumes by
bench/bench_alerts_real.py.

Written once for both engines: `PeakHistory` learns hour by hour (live), `usual_peaks`
answers every hour at once (replay); both take order statistics of the same floats, so
their answers are equal bit for bit.
"""

from collections import deque

import numpy as np
import numpy.typing as npt

from alerts.detection.baseline import SILENCE_HORIZON_HOURS

PEAK_HOURS = 28 * 24
PEAK_RANK = 3
# the replay engine starts a stretch after a silence with no peaks (alerts/replay/batch.py):
# the live history must have forgotten the hours before the silence by then
assert PEAK_HOURS <= SILENCE_HORIZON_HOURS
assert 1 <= PEAK_RANK < PEAK_HOURS

Floats = npt.NDArray[np.float64]


def _is_burst_hour(peak: float, floor: float) -> bool:
    return peak > 0.0 and peak >= floor


class PeakHistory:
    """The bursts of the last PEAK_HOURS hours of one track of one brand (live): one entry
    per hour, the peak of the burst that last reached that hour, else 0."""

    __slots__ = ("_floor", "_hours", "_in_burst", "_usual", "hour_peak")

    def __init__(self, floor: float) -> None:
        self._floor = floor  # rules.surprise_floor: what makes an hour a burst hour
        self._hours: deque[float] = deque(maxlen=PEAK_HOURS)
        self._in_burst = False  # the last hour learned was a burst hour
        self._usual: float | None = 0.0
        self.hour_peak = 0.0  # of the hour being accumulated

    def add(self, candidate: float) -> None:
        """A window of the current hour (0 for one that cannot be elevated)."""
        if candidate > self.hour_peak:
            self.hour_peak = candidate

    def close_hour(self, silent_hours_after: int) -> None:
        """The current hour is over, and `silent_hours_after` hours without a window."""
        peak = self.hour_peak
        if _is_burst_hour(peak, self._floor):
            if self._in_burst:  # the same burst goes on: its entry moves to this hour
                peak = max(peak, self._hours[-1])
                self._hours[-1] = 0.0
            self._hours.append(peak)
            self._in_burst = True
        else:
            self._hours.append(0.0)
            self._in_burst = False
        if silent_hours_after:
            self._hours.extend([0.0] * min(silent_hours_after, PEAK_HOURS))
            self._in_burst = False
        self.hour_peak = 0.0
        self._usual = None

    @property
    def usual(self) -> float:
        """The PEAK_RANK-th largest burst of the last PEAK_HOURS hours (0 if fewer)."""
        if self._usual is None:
            hours = self._hours
            self._usual = sorted(hours)[-PEAK_RANK] if len(hours) >= PEAK_RANK else 0.0
        return self._usual


def bursts(hour_peaks: Floats, floor: float) -> tuple[Floats, Floats]:
    """Per hour of a stretch: (the peak of the burst that ends there, else 0; the peak so
    far of the burst going on there, else 0) — as PeakHistory's entries hold them."""
    ended, so_far = np.zeros(len(hour_peaks)), np.zeros(len(hour_peaks))
    running = 0.0
    for j, peak in enumerate(hour_peaks.tolist()):
        if _is_burst_hour(peak, floor):
            running = max(peak, running) if running else peak
            so_far[j] = ended[j] = running
            if j and so_far[j - 1]:
                ended[j - 1] = 0.0  # it went on
        else:
            running = 0.0
    return ended, so_far


def usual_peaks(hour_peaks: Floats, floor: float) -> Floats:
    """For each hour j of a stretch (whose earlier hours had no window): the usual peak
    once hours 0 … j-1 are learned, as PeakHistory.usual answers it. Those entries are the
    bursts ended by hour j-2 and, at hour j-1, the peak so far of the burst going on then:
    the PEAK_RANK-th largest of the first set with one more value added."""
    n = len(hour_peaks)
    ended, so_far = bursts(hour_peaks, floor)
    m = PEAK_HOURS - 1
    padded = np.concatenate([np.zeros(m + 1), ended])
    before = np.lib.stride_tricks.sliding_window_view(padded, m)[:n]  # ended[j-H … j-2]
    ranks = (m - PEAK_RANK, min(m - PEAK_RANK + 1, m - 1))
    ordered = np.partition(before, ranks, axis=1)
    kth = ordered[:, ranks[0]]
    above = ordered[:, ranks[1]] if PEAK_RANK > 1 else np.full(n, np.inf)
    last = np.concatenate([[0.0], so_far[:-1]])  # at hour j-1
    result: Floats = np.maximum(kth, np.minimum(last, above))
    return result
