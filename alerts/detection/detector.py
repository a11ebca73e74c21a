"""The detector: per (tenant, brand), on event time, accelerating buzz → incident transitions.

Mentions fall into buckets of `bucket_minutes` of event time (`published_at`). A bucket is
closed once the watermark has passed its end plus `allowed_lateness_minutes`; a mention whose
bucket is already closed is late: counted in `late`, not in any window. Closing a bucket
evaluates the window of the last `window_minutes` against the hour-of-week baseline, for the
crisis track (negative mentions) and the opportunity track (positive ones).

The signal of a window is its virality-weighted stories: each story (a near-duplicate cluster,
or a lone mention) counts once per bucket, with weight 1 + virality/25 (1 to 5), rounded to a
multiple of 1/1024 (`rules.story_weight`): sums of such weights are exact in float64 whatever
the order of the additions, so the replay engine (alerts/replay/batch.py), which adds in
another order, computes bit for bit the same signals, hourly samples and window sums as this
one. Every rule (alerts/detection/rules.py) is one function both engines call.

The caller supplies the watermark: in replay the greatest event time read so far; in the live
worker the least, over the partitions it reads, of the greatest event time seen in each — so
that interleaving partitions cannot change the result. Pure logic, no clock, no I/O: the same
mentions and watermarks always give the same transitions. A mention id counts once per bucket
(redeliveries and engagement updates are absorbed).
"""

import math
import re
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from alerts.detection.baseline import HourOfWeekBaseline
from alerts.detection.incidents import IncidentTrack, Ref, Transition, WindowView, in_event_order
from alerts.detection.observation import Observation
from alerts.detection.peaks import PeakHistory
from alerts.detection.rules import (
    is_negative,
    is_positive,
    may_go_viral,
    peak_candidate,
    share,
    story_weight,
    surprise_floor,
)
from schemas.config import DetectionSettings

RuleFor = Callable[[str, str], DetectionSettings]


class _Bucket:
    __slots__ = ("ids", "neg", "neg_refs", "neg_service", "pos", "pos_refs", "total", "viral")

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.total = 0
        self.neg_service = 0  # negative mentions that are service requests
        self.neg: dict[str, float] = {}  # story → weight
        self.pos: dict[str, float] = {}
        self.neg_refs: list[Ref] = []
        self.pos_refs: list[Ref] = []
        self.viral: Ref | None = None


class _Closed:
    """A closed bucket that had mentions, kept while it is inside the window."""

    __slots__ = ("index", "neg_refs", "neg_service", "neg_signal", "neg_stories", "pos_refs",
                 "pos_signal", "pos_stories", "total")  # fmt: skip

    def __init__(self, index: int, bucket: _Bucket) -> None:
        self.index = index
        self.neg_signal = sum(bucket.neg.values())
        self.pos_signal = sum(bucket.pos.values())
        self.neg_stories = len(bucket.neg)
        self.pos_stories = len(bucket.pos)
        self.total = bucket.total
        self.neg_service = bucket.neg_service
        self.neg_refs = bucket.neg_refs
        self.pos_refs = bucket.pos_refs


_NOTHING: list[Transition] = []


def brand_words(brand: str) -> set[str]:
    """Words of the brand id, left out of an incident's main terms."""
    return set(re.findall(r"\w+", brand.lower().replace("-", " ")))


class BrandMonitor:
    def __init__(self, tenant: str, brand: str, rule: DetectionSettings) -> None:
        self._rule = rule
        self._bucket_s = rule.bucket_minutes * 60
        self._per_hour = 60 // rule.bucket_minutes
        self._k = rule.window_minutes // rule.bucket_minutes
        self._lateness_s = rule.allowed_lateness_minutes * 60
        self._buckets: dict[int, _Bucket] = {}
        self._next: int | None = None  # index of the next bucket to close
        # closed non-empty buckets of the current window, and of the window before it
        self._window: deque[_Closed] = deque()
        self._before: deque[_Closed] = deque()
        self._neg_sum = self._pos_sum = 0.0  # signals of the current window
        self._neg_before = self._pos_before = 0.0  # signals of the previous window
        self._neg_base = HourOfWeekBaseline(
            rule.timezone, rule.baseline_slot_weeks, rule.baseline_warmup_hours,
            rule.baseline_floor,
        )  # fmt: skip
        self._pos_base = HourOfWeekBaseline(
            rule.timezone, rule.baseline_slot_weeks, rule.baseline_warmup_hours,
            rule.baseline_floor,
        )  # fmt: skip
        floor = surprise_floor(rule)
        self._neg_peaks, self._pos_peaks = PeakHistory(floor), PeakHistory(floor)
        self._hour: int | None = None  # the hour being accumulated for the baselines
        self._hour_neg = self._hour_pos = 0.0
        words = brand_words(brand)
        self.crisis = IncidentTrack(tenant, brand, "crisis", rule, words)
        self.opportunity = IncidentTrack(tenant, brand, "opportunity", rule, words)
        self.late = 0

    def add(self, obs: Observation, epoch: float) -> None:
        index = int(epoch // self._bucket_s)
        if self._next is not None and index < self._next:  # its bucket is already judged
            self.late += 1
            return
        bucket = self._buckets.get(index)
        if bucket is None:
            bucket = self._buckets[index] = _Bucket()
        if obs.id in bucket.ids:
            return
        bucket.ids.add(obs.id)
        bucket.total += 1
        score = obs.sentiment.score
        if is_negative(score, self._rule):
            stories, refs = bucket.neg, bucket.neg_refs
            bucket.neg_service += obs.service_request
        elif is_positive(score, self._rule):
            stories, refs = bucket.pos, bucket.pos_refs
        else:
            return
        virality = obs.virality.score
        weight = float(story_weight(virality))
        story = obs.story
        if stories.get(story, 0.0) < weight:
            stories[story] = weight
        ref = Ref(virality, epoch, obs.id, obs.url, obs.text, story)
        refs.append(ref)
        if (
            refs is bucket.neg_refs
            and may_go_viral(virality, obs.author.followers or 0, self._rule)
            and (bucket.viral is None or virality > bucket.viral.virality)
        ):
            bucket.viral = ref

    def advance(self, watermark: float) -> list[Transition]:
        """Close every bucket the watermark has passed; return what that changed."""
        limit = int((watermark - self._lateness_s) // self._bucket_s)
        if self._next is None:  # nothing judged yet: start at the earliest bucket, once due
            if not self._buckets or min(self._buckets) >= limit:
                return _NOTHING
            self._next = min(self._buckets)
        if self._next >= limit:
            return _NOTHING
        out: list[Transition] = []
        while self._next < limit:
            upcoming = min(self._buckets) if self._buckets else limit
            stop = min(upcoming, limit)
            while self._next < stop:  # buckets without data
                if self._must_step():
                    out.extend(self._close(self._next, None))
                    self._next += 1
                else:
                    self._jump(stop)
            if self._next < limit and self._next in self._buckets:
                out.extend(self._close(self._next, self._buckets.pop(self._next)))
                self._next += 1
        return out

    def _must_step(self) -> bool:
        """Whether an empty bucket can change anything (else the run is skipped at once)."""
        if self.crisis.open or self.opportunity.open:
            return True
        return (
            self._neg_sum >= self.crisis.min_signal or self._pos_sum >= self.opportunity.min_signal
        )

    def _jump(self, stop: int) -> None:
        """Skip empty buckets up to `stop`: windows only shrink, nothing can fire."""
        self._learn_until(stop - 1)
        self._evict(stop - 1)
        self.crisis.idle()
        self.opportunity.idle()
        self._next = stop

    def _evict(self, index: int) -> None:
        """Slide the windows so that the current one ends at bucket `index`."""
        window, before = self._window, self._before
        while window and window[0].index <= index - self._k:
            moved = window.popleft()
            before.append(moved)
            self._neg_sum -= moved.neg_signal
            self._pos_sum -= moved.pos_signal
            self._neg_before += moved.neg_signal
            self._pos_before += moved.pos_signal
        while before and before[0].index <= index - 2 * self._k:
            gone = before.popleft()
            self._neg_before -= gone.neg_signal
            self._pos_before -= gone.pos_signal
        if not window:  # no float drift carried over
            self._neg_sum = self._pos_sum = 0.0
        if not before:
            self._neg_before = self._pos_before = 0.0

    def _close(self, index: int, bucket: _Bucket | None) -> list[Transition]:
        self._learn_until(index)
        viral = None
        if bucket is not None:
            closed = _Closed(index, bucket)
            self._window.append(closed)
            self._neg_sum += closed.neg_signal
            self._pos_sum += closed.pos_signal
            self._hour_neg += closed.neg_signal
            self._hour_pos += closed.pos_signal
            viral = bucket.viral
        self._evict(index)
        crisis, opportunity = self.crisis, self.opportunity
        out = _NOTHING
        if crisis.open is None and viral is None and self._neg_sum < crisis.min_signal:
            crisis.idle()
        else:
            out = crisis.evaluate(self._peak_seen(self._view(index, True, viral), True))
        if not self._rule.opportunities or (
            opportunity.open is None and self._pos_sum < opportunity.min_signal
        ):
            opportunity.idle()
        else:
            view = self._peak_seen(self._view(index, False, None), False)
            out = out + opportunity.evaluate(view)
        return out

    def _peak_seen(self, view: WindowView, negative: bool) -> WindowView:
        """File the window in its hour's peak (a window below `min_signal` adds nothing)."""
        peaks = self._neg_peaks if negative else self._pos_peaks
        peaks.add(float(peak_candidate(view.signal, view.expected, view.share, self._rule)))
        return view

    def _view(self, index: int, negative: bool, viral: Ref | None) -> WindowView:
        window = self._window
        total = sum(c.total for c in window)
        neg_count = sum(len(c.neg_refs) for c in window)
        count = neg_count if negative else sum(len(c.pos_refs) for c in window)
        base = self._neg_base if negative else self._pos_base
        end_s = (index + 1) * self._bucket_s
        expected = base.window_expected((index - self._k + 1) * self._bucket_s, self._k,
                                        self._bucket_s)  # fmt: skip

        def details() -> tuple[list[Ref], str]:
            refs = [r for c in window for r in (c.neg_refs if negative else c.pos_refs)]
            return refs, base.describe(end_s - 1)

        return WindowView(
            at=datetime.fromtimestamp(end_s + self._lateness_s, UTC),
            signal=self._neg_sum if negative else self._pos_sum,
            previous=self._neg_before if negative else self._pos_before,
            expected=expected,
            count=count,
            stories=sum(c.neg_stories if negative else c.pos_stories for c in window),
            share=float(share(count, total)),
            negative_share=float(share(neg_count, total)),
            usual_peak=(self._neg_peaks if negative else self._pos_peaks).usual,
            viral=viral if negative else None,
            details=details,
            service_count=sum(c.neg_service for c in window) if negative else 0,
        )

    def _learn_until(self, index: int) -> None:
        """Feed the baselines every full hour before the one holding bucket `index` (a gap of
        any length in bounded work: `HourOfWeekBaseline.learn_silence`)."""
        hour = index // self._per_hour
        if self._hour is None:
            self._hour = hour
        if self._hour >= hour:
            return
        slot = self._neg_base.slot(self._hour * 3600)
        self._neg_base.update(slot, self._hour_neg / self._per_hour)
        self._pos_base.update(slot, self._hour_pos / self._per_hour)
        self._hour_neg = self._hour_pos = 0.0
        silence = hour - self._hour - 1  # hours without a closed mention: bounded work
        self._neg_peaks.close_hour(silence)
        self._pos_peaks.close_hour(silence)
        self._neg_base.learn_silence(self._hour + 1, silence)
        self._pos_base.learn_silence(self._hour + 1, silence)
        self._hour = hour


class AlertDetector:
    """Every brand's monitor. `observe` files a mention; `advance` closes buckets.
    Brands in `competitors` ((tenant, brand) of role `competitor`) are never monitored."""

    def __init__(
        self, rule_for: RuleFor, competitors: frozenset[tuple[str, str]] = frozenset()
    ) -> None:
        self._rule_for = rule_for
        self._competitors = competitors
        self._monitors: dict[tuple[str, str], BrandMonitor] = {}

    def monitor(self, tenant: str, brand: str) -> BrandMonitor:
        key = (tenant, brand)
        monitor = self._monitors.get(key)
        if monitor is None:
            monitor = self._monitors[key] = BrandMonitor(tenant, brand, self._rule_for(*key))
        return monitor

    def observe(self, obs: Observation, watermark: float | None = None) -> list[Transition]:
        """File `obs`; with a watermark, also close that brand's passed buckets (replay)."""
        epoch = obs.published_at.timestamp()
        out: list[Transition] = []
        for brand in obs.brands:
            if (obs.tenant, brand) in self._competitors:
                continue
            monitor = self.monitor(obs.tenant, brand)
            monitor.add(obs, epoch)
            if watermark is not None:
                out.extend(monitor.advance(watermark))
        return out

    def advance(self, watermark: float) -> list[Transition]:
        out: list[Transition] = []
        for monitor in self._monitors.values():
            out.extend(monitor.advance(watermark))
        return out

    def resolve(self, tenant: str, brand: str, incident_id: str, by: str) -> Transition | None:
        """Resolve an open incident by hand, at the brand's current event time."""
        monitor = self._monitors.get((tenant, brand))
        if monitor is None:
            return None
        for track in (monitor.crisis, monitor.opportunity):
            if track.open is not None and track.open.id == incident_id:
                return track.resolve(track.open.updated_at, by)
        return None

    def open_incidents(self) -> int:
        return sum(
            (m.crisis.open is not None) + (m.opportunity.open is not None)
            for m in self._monitors.values()
        )

    def late(self) -> int:
        return sum(m.late for m in self._monitors.values())


def replay_observations(observations: Iterable[Observation], rule_for: RuleFor) -> list[Transition]:
    """The live detector over time-ordered observations, the watermark being the latest event
    time read (what the replay engine, alerts/replay/, computes faster). A mention whose date
    is unknown (`published_at_known` False) is skipped: neither counted nor moving the
    watermark, as in the live stage."""
    detector = AlertDetector(rule_for)
    watermark = -math.inf
    out: list[Transition] = []
    for obs in observations:
        if not obs.published_at_known:
            continue
        epoch = obs.published_at.timestamp()
        if epoch > watermark:
            watermark = epoch
        out.extend(detector.observe(obs, watermark))
    out.extend(detector.advance(watermark))
    return in_event_order(out)
