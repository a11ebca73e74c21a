"""The brand's usual peaks: how surprising its most surprising hours of the last four weeks
were, so that a burst is judged against the brand's own heavy tail.

A real stream is not Poisson: a brand whose mentions come in bursts (retweet storms, a
product news cycle) is ×10 its usual for ten minutes several times a week, and paging each
of them teaches its community manager to mute the pager. Each hour keeps the largest
`rules.surprise` of its windows that could be elevated (`rules.peak_candidate`); the usual
peak is the `PEAK_RANK`-th largest of the last `PEAK_HOURS` hours (hours without such a
window count 0). A burst must be at least as surprising (`rules.bursting`). A Poisson-like
brand's usual peak stays near `surprise_min`, so its bursts page as before; one crisis (a few
hours) does not raise it, being fewer than `PEAK_RANK` hours. Measured on real brand tweet
volumes by bench/bench_alerts_real.py.

Written once for both engines: `PeakHistory` learns hour by hour (live), `usual_peaks`
answers every hour at once (replay); both take order statistics of the same floats, so
their answers are equal bit for bit.
"""

from collections import deque

import numpy as np
import numpy.typing as npt

from alerts.detection.baseline import SILENCE_HORIZON_HOURS

PEAK_HOURS = 28 * 24
PEAK_RANK = 10
# the replay engine starts a stretch after a silence with no peaks (alerts/replay/batch.py):
# the live history must have forgotten the hours before the silence by then
assert PEAK_HOURS <= SILENCE_HORIZON_HOURS

Floats = npt.NDArray[np.float64]


class PeakHistory:
    """The last PEAK_HOURS hourly peaks of one track of one brand (live)."""

    __slots__ = ("_hours", "_usual", "hour_peak")

    def __init__(self) -> None:
        self._hours: deque[float] = deque(maxlen=PEAK_HOURS)
        self._usual: float | None = 0.0
        self.hour_peak = 0.0  # of the hour being accumulated

    def add(self, candidate: float) -> None:
        """A window of the current hour (0 for one that cannot be elevated)."""
        if candidate > self.hour_peak:
            self.hour_peak = candidate

    def close_hour(self, silent_hours_after: int) -> None:
        """The current hour is over, and `silent_hours_after` hours without a window."""
        self._hours.append(self.hour_peak)
        self._hours.extend([0.0] * min(silent_hours_after, PEAK_HOURS))
        self.hour_peak = 0.0
        self._usual = None

    @property
    def usual(self) -> float:
        """The PEAK_RANK-th largest hourly peak of the last PEAK_HOURS hours (0 if fewer)."""
        if self._usual is None:
            hours = self._hours
            self._usual = sorted(hours)[-PEAK_RANK] if len(hours) >= PEAK_RANK else 0.0
        return self._usual


def usual_peaks(hour_peaks: Floats) -> Floats:
    """For each hour j of a stretch (whose earlier hours had no window): the usual peak
    once hours 0 … j-1 are learned, as PeakHistory.usual answers it."""
    n = len(hour_peaks)
    padded = np.concatenate([np.zeros(PEAK_HOURS), hour_peaks])
    windows = np.lib.stride_tricks.sliding_window_view(padded, PEAK_HOURS)[:n]
    result: Floats = np.partition(windows, PEAK_HOURS - PEAK_RANK, axis=1)[
        :, PEAK_HOURS - PEAK_RANK
    ]
    return result
