"""HourOfWeekBaseline: the usual signal per bucket for each of the 168 hours of the week,
in the brand's own timezone — so Sunday 14:00 stays Sunday 14:00 across daylight saving.

Learned online, one observation per hour (the hour's mean signal per bucket):
- per hour of the week: the median of the last `SLOT_WEEKS` weekly samples, used once there
  are `slot_weeks` of them. A median shrugs off a one-off spike (a past crisis) yet learns a
  pattern that recurs (a daily 14:00 rush) within a few weeks;
- per hour of the day: the median of the last `DAY_SAMPLES` days, the fallback while the
  week is young (daily rhythms are learned within three days); and in place of the week's
  median when it is `LEVEL_SHIFT` times as high (from `DAY_MIN_SAMPLES` days on): a brand
  whose volume grows for good (a level shift) is back to its usual within four days, rather
  than the weeks the slot's median would take — a weekend, a third below the week, is not;
- over all hours: an exponentially weighted mean (about two days of memory) whose samples
  are capped at mean + 4·sd + 1, the fallback after `warmup_hours`;
- `floor` before that, and as a minimum always.

A silence (hours without a mention) is learned as zeros, but in bounded work: of a silence
longer than `SILENCE_HORIZON_HOURS`, only its last `SILENCE_HORIZON_HOURS` are learned
(`learn_silence`). That changes no answer: those hours already fill every slot's and every
hour of the day's samples with zeros (each is met at least SLOT_WEEKS and DAY_SAMPLES times
in seven weeks, daylight saving or not), and from then on the overall mean is never read
again (each hour of the day holds DAY_SAMPLES ≥ DAY_MIN_SAMPLES samples for good). The
replay engine relies on the same horizon (alerts/replay/batch.py).
"""

import math
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

SLOTS = 7 * 24
SLOT_WEEKS = 5
DAY_SAMPLES = 7
DAY_MIN_SAMPLES = 3
OVERALL_ALPHA = 0.02
LEVEL_SHIFT = 2.0  # the hour of the day's median, this much above the week's, replaces it
SILENCE_HORIZON_HOURS = 7 * SLOTS  # seven weeks: ≥ SLOT_WEEKS samples of every slot


class _Median:
    """The median of the last `keep` samples, computed when read (reads are rare)."""

    __slots__ = ("_value", "samples")

    def __init__(self, keep: int) -> None:
        self.samples: deque[float] = deque(maxlen=keep)
        self._value: float | None = 0.0

    def add(self, x: float) -> None:
        self.samples.append(x)
        self._value = None

    @property
    def value(self) -> float:
        if self._value is None:
            ordered = sorted(self.samples)
            middle = len(ordered) // 2
            self._value = (
                ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
            )
        return self._value


class _Ewma:
    __slots__ = ("mean", "n", "var")

    def __init__(self) -> None:
        self.mean = 0.0
        self.var = 0.0
        self.n = 0

    def add(self, x: float, alpha: float, trusted_after: int) -> None:
        if self.n >= trusted_after:
            x = min(x, self.mean + 4 * math.sqrt(max(self.var, self.mean)) + 1)
        a = max(alpha, 1 / (self.n + 1))  # plain average until 1/alpha samples
        delta = x - self.mean
        self.mean += a * delta
        self.var = (1 - a) * (self.var + a * delta * delta)
        self.n += 1


def overall_means(samples: Iterable[float], warmup_hours: int) -> list[float]:
    """The overall mean after each sample, as `HourOfWeekBaseline.update` learns it (for the
    replay engine, which learns a whole brand at once: alerts/replay/baseline.py)."""
    overall = _Ewma()
    means: list[float] = []
    for x in samples:
        overall.add(x, OVERALL_ALPHA, warmup_hours)
        means.append(overall.mean)
    return means


class HourOfWeekBaseline:
    def __init__(self, timezone: str, slot_weeks: int, warmup_hours: int, floor: float) -> None:
        self._zone = ZoneInfo(timezone)
        self._slot_weeks = slot_weeks
        self._warmup_hours = warmup_hours
        self._floor = floor
        self._slots = [_Median(SLOT_WEEKS) for _ in range(SLOTS)]
        self._hours = [_Median(DAY_SAMPLES) for _ in range(24)]
        self._overall = _Ewma()
        self._slot_of_hour: dict[int, int] = {}

    def slot(self, epoch_s: float) -> int:
        """Hour of the week (0 = Monday 00:00 local) of an instant."""
        hour = int(epoch_s // 3600)
        slot = self._slot_of_hour.get(hour)
        if slot is None:
            local = datetime.fromtimestamp(hour * 3600, self._zone)
            slot = local.weekday() * 24 + local.hour
            if len(self._slot_of_hour) > 10_000:
                self._slot_of_hour.clear()
            self._slot_of_hour[hour] = slot
        return slot

    def expected(self, slot: int) -> float:
        """The usual signal per bucket in this hour of the week."""
        week = self._slots[slot]
        day = self._hours[slot % 24]
        if len(week.samples) >= self._slot_weeks:
            usual = week.value
            if len(day.samples) >= DAY_MIN_SAMPLES and day.value >= LEVEL_SHIFT * usual:
                usual = day.value  # a level shift, learned within days
            return max(self._floor, usual)
        if len(day.samples) >= DAY_MIN_SAMPLES:
            return max(self._floor, day.value)
        if self._overall.n >= self._warmup_hours:
            return max(self._floor, self._overall.mean)
        return self._floor

    def window_expected(self, first_bucket_s: float, buckets: int, bucket_s: int) -> float:
        """The usual signal of `buckets` consecutive buckets, the first starting then."""
        total = 0.0
        start, end = first_bucket_s, first_bucket_s + buckets * bucket_s
        while start < end:
            hour_end = (start // 3600 + 1) * 3600
            span = min(end, hour_end) - start
            total += self.expected(self.slot(start)) * (span // bucket_s)
            start += span
        return total

    def update(self, slot: int, signal_per_bucket: float) -> None:
        """Learn one hour: its mean signal per bucket."""
        self._slots[slot].add(signal_per_bucket)
        self._hours[slot % 24].add(signal_per_bucket)
        self._overall.add(signal_per_bucket, OVERALL_ALPHA, self._warmup_hours)

    def learn_silence(self, first_hour: int, hours: int) -> None:
        """Learn `hours` hours without signal from `first_hour` (hours since the epoch) on,
        in at most SILENCE_HORIZON_HOURS steps (see the module's docstring)."""
        start = max(first_hour, first_hour + hours - SILENCE_HORIZON_HOURS)
        for hour in range(start, first_hour + hours):
            self.update(self.slot(hour * 3600), 0.0)

    @property
    def hours_learned(self) -> int:
        """How many hours were learned (the work done; a long silence counts its horizon)."""
        return self._overall.n

    def describe(self, epoch_s: float) -> str:
        """'Sunday 14:00': the local hour a baseline figure refers to."""
        local = datetime.fromtimestamp(epoch_s, self._zone)
        return f"{local:%A} {local.hour:02d}:00"
