"""BatchMonitor: the detector over a whole, time-ordered file — the replay engine.

The live BrandMonitor files mentions one by one into buckets; here the buckets of a brand
are aggregated at once with numpy (signals, stories, counts, window sums by cumulative sums)
and only the windows that can change anything are handed, in time order, to the *same*
IncidentTrack and HourOfWeekBaseline code the live monitor uses. A window can change
something when its signal reaches `min_signal`, when it holds a viral post (crisis track),
or while an incident is open; every other window only breaks a rising run, exactly as the
live monitor's `idle()`. The equivalence with the live monitor — same transitions, same
incidents — is a test (tests/unit/test_replay.py), on generated scenarios.

Replay semantics follow the live ones: the watermark is the latest event time read; a
brand's buckets close when it passes their end plus the allowed lateness; a mention whose
bucket was already closed when it was read is late and not counted; a mention id counts
once per bucket (its first reading).
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from alerts.baseline import HourOfWeekBaseline
from alerts.columns import (
    PARALLEL_FROM,
    Columns,
    ReplayError,
    columns_from_bytes,
    columns_of,
    map_processes,
    processes_for,
)
from alerts.detector import RuleFor, brand_words
from alerts.incidents import IncidentTrack, Ref, Transition, WindowView
from alerts.observation import Observation
from schemas.config import DetectionRule

__all__ = ["ReplayError", "replay_batch", "replay_bytes"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def replay_batch(
    observations: Sequence[Observation], rule_for: RuleFor, processes: int | None = None
) -> list[Transition]:
    """Every transition the live detector would emit for these time-ordered observations."""
    if not observations:
        return []
    return _detect(columns_of(observations), rule_for, processes, len(observations))


def replay_bytes(
    data: bytes, rule_for: RuleFor, processes: int | None = None,
    parallel_from_bytes: int = PARALLEL_FROM * 500,
) -> list[Transition]:  # fmt: skip
    """The same, straight from JSON lines (a bad one raises ReplayError naming it)."""
    processes = processes_for(processes, len(data) // 500, parallel_from_bytes // 500)
    columns = columns_from_bytes(data, processes)
    if columns is None:
        return []
    return _detect(columns, rule_for, processes, len(columns.epochs))


def _detect(columns: Columns, rule_for: RuleFor, processes: int | None, n: int) -> list[Transition]:
    global _JOB
    _JOB = (columns, rule_for)
    keys = sorted(columns.groups, key=lambda key: -len(columns.groups[key]))  # biggest first
    try:
        results = map_processes(_run_brand, keys, processes_for(processes, n))
    finally:
        _JOB = None
    out = [t for result in results for t in result]
    return sorted(out, key=lambda t: (t.at, t.incident.tenant, t.incident.brand,
                                      t.incident.kind))  # fmt: skip


_JOB: "tuple[Columns, RuleFor] | None" = None
"""The replay being run, for forked processes: they inherit it, nothing is pickled."""


def _run_brand(key: tuple[str, str]) -> list[Transition]:
    assert _JOB is not None
    columns, rule_for = _JOB
    tenant, brand = key
    return _Brand(tenant, brand, rule_for(tenant, brand), columns, columns.groups[key]).run()


class _Brand:
    def __init__(self, tenant: str, brand: str, rule: DetectionRule, columns: Columns,
                 rows: Ints) -> None:  # fmt: skip
        self.rule = rule
        self.c = columns
        self.bucket_s = rule.bucket_minutes * 60
        self.per_hour = 60 // rule.bucket_minutes
        self.k = rule.window_minutes // rule.bucket_minutes
        self.lateness_s = rule.allowed_lateness_minutes * 60
        words = brand_words(brand)
        self.crisis = IncidentTrack(tenant, brand, "crisis", rule, words)
        self.opportunity = IncidentTrack(tenant, brand, "opportunity", rule, words)
        base = (rule.timezone, rule.baseline_slot_weeks, rule.baseline_warmup_hours,
                rule.baseline_floor)  # fmt: skip
        self.neg_base, self.pos_base = HourOfWeekBaseline(*base), HourOfWeekBaseline(*base)
        self.rows = self._counted(rows)

    def _counted(self, rows: Ints) -> Ints:
        """Rows that count: not late, and the first reading of their id in their bucket."""
        c = self.c
        buckets = np.floor_divide(c.epochs[rows], self.bucket_s).astype(np.int64)
        closed_before = np.empty(len(rows), np.int64)  # the next bucket to close, per reading
        closed_before[0] = buckets[0]
        if len(rows) > 1:
            limits = np.floor_divide(c.watermarks[rows[:-1]] - self.lateness_s, self.bucket_s)
            closed_before[1:] = np.maximum(buckets[0], np.maximum.accumulate(limits))
        keep = buckets >= closed_before
        rows, buckets = rows[keep], buckets[keep]
        pairs = np.stack([buckets, c.ids[rows]], axis=1)
        _, first = np.unique(pairs, axis=0, return_index=True)
        first.sort()
        self.buckets = buckets[first]
        return rows[first]

    def run(self) -> list[Transition]:
        rows, buckets, c, rule = self.rows, self.buckets, self.c, self.rule
        b0 = int(buckets[0])
        end = math.floor((c.final_watermark - self.lateness_s) / self.bucket_s)  # exclusive
        if end <= b0:
            return []
        size = end - b0
        scores = c.scores[rows]
        neg = scores <= rule.negative_score_max
        pos = ~neg & (scores >= rule.positive_score_min)
        weights = 1.0 + np.minimum(c.virality[rows], 100.0) / 25.0
        local = buckets - b0
        inside = local < size
        dense = {
            "total": np.bincount(local[inside], minlength=size)[:size].astype(np.float64),
            "neg_n": np.bincount(local[inside & neg], minlength=size)[:size].astype(np.float64),
            "pos_n": np.bincount(local[inside & pos], minlength=size)[:size].astype(np.float64),
        }
        for name, mask in (("neg", neg & inside), ("pos", pos & inside)):
            signal, stories = self._stories(local[mask], c.stories[rows[mask]], weights[mask], size)
            dense[name], dense[name + "_st"] = signal, stories
        self.dense = {name: np.concatenate([[0.0], np.cumsum(v)]) for name, v in dense.items()}
        self.windows = {
            name: self._window_sums(cum, size).tolist() for name, cum in self.dense.items()
        }
        self.hourly = {
            name: np.add.reduceat(dense[name], self._hour_starts(b0, size))
            for name in ("neg", "pos")
        }
        self.b0, self.size = b0, size
        self.local, self.neg, self.pos = local, neg, pos
        self._viral = self._viral_buckets(local, neg, inside)
        self._hour = b0 // self.per_hour
        out = self._track(self.crisis, "neg", self._viral)
        if rule.opportunities:
            self._reset_learning()
            out += self._track(self.opportunity, "pos", {})
        return out

    def _stories(
        self, local: Ints, stories: Ints, weights: Floats, size: int
    ) -> tuple[Floats, Floats]:
        """Per bucket: Σ of each story's largest weight, and the number of stories."""
        if len(local) == 0:
            return np.zeros(size), np.zeros(size)
        order = np.lexsort((-weights, stories, local))
        local, stories, weights = local[order], stories[order], weights[order]
        first = np.ones(len(local), bool)
        first[1:] = (local[1:] != local[:-1]) | (stories[1:] != stories[:-1])
        signal = np.bincount(local[first], weights=weights[first], minlength=size)[:size]
        count = np.bincount(local[first], minlength=size)[:size].astype(np.float64)
        return signal.astype(np.float64), count

    def _hour_starts(self, b0: int, size: int) -> Ints:
        first_hour = b0 // self.per_hour
        starts = np.arange(first_hour, (b0 + size - 1) // self.per_hour + 1) * self.per_hour - b0
        return np.maximum(starts, 0).astype(np.int64)

    def _viral_buckets(
        self, local: Ints, neg: npt.NDArray[np.bool_], inside: npt.NDArray[np.bool_]
    ) -> dict[int, int]:
        """Bucket → row of its most viral qualifying negative post (the first, on a tie)."""
        c, rule = self.c, self.rule
        rows = self.rows
        qualifies = (
            neg
            & inside
            & (
                (c.virality[rows] >= rule.viral_score)
                | (c.followers[rows] >= rule.high_reach_followers)
            )
        )
        viral: dict[int, int] = {}
        for i in np.flatnonzero(qualifies):
            bucket = int(local[i])
            best = viral.get(bucket)
            if best is None or c.virality[rows[i]] > c.virality[rows[best]]:
                viral[bucket] = int(i)
        return viral

    def _window_sums(self, cum: Floats, size: int) -> Floats:
        """For each bucket t: the sum over the window ending at t (buckets t-k+1 … t)."""
        shifted = np.zeros(size)
        if size > self.k:
            shifted[self.k :] = cum[1 : size + 1 - self.k]
        result: Floats = cum[1:] - shifted
        return result

    def _window(self, name: str, t: int) -> float:
        value: float = self.windows[name][t]
        return value

    def _track(self, track: IncidentTrack, name: str, viral: dict[int, int]) -> list[Transition]:
        sums = np.asarray(self.windows[name])
        candidates = set(np.flatnonzero(sums >= track.min_signal).tolist()) | set(viral)
        out: list[Transition] = []
        previous_evaluated = -2
        t_iter = sorted(candidates)
        i = 0
        t = t_iter[0] if t_iter else self.size
        while t < self.size:
            if previous_evaluated != t - 1:
                track.idle()
            self._learn_until(t, name)
            out += track.evaluate(self._view(t, name, viral.get(t)))
            previous_evaluated = t
            if track.open is not None:
                # an open incident is judged at every bucket: jump to the next one that can
                # change it (the live monitor steps through each; the result is the same)
                following = self._next_eventful(track, name, t + 1, viral)
                previous_evaluated = following - 1
                t = following
                continue
            while i < len(t_iter) and t_iter[i] <= t:
                i += 1
            t = t_iter[i] if i < len(t_iter) else self.size
        return out

    def _next_eventful(self, track: IncidentTrack, name: str, start: int,
                       viral: dict[int, int]) -> int:  # fmt: skip
        """The first bucket from `start` at which the open incident can change (escalate,
        report a new peak, resolve) or a viral post arrives; the quiet run is carried."""
        rule, k = self.rule, self.k
        level, peak, quiet_since, can_escalate = track.follow_state()
        windows = self.windows[name]
        resolve_s = rule.resolve_after_minutes * 60
        t = start
        while t < self.size:
            self._learn_until(t, name)
            hour_end = min(
                self.size, ((self.b0 + t) // self.per_hour + 1) * self.per_hour - self.b0
            )
            cur = np.asarray(windows[t:hour_end])
            prev = np.zeros(hour_end - t)
            lo = max(t - k, 0)
            if hour_end - k > lo:
                prev[lo - (t - k) :] = windows[lo : hour_end - k]
            eventful = cur >= peak * 1.5
            if can_escalate:
                eventful |= (cur > prev) & (cur >= level * rule.escalate_factor)
            near = cur <= np.maximum(
                1.5 * self._expected_in_hour(name, t, hour_end), track.min_signal / 2
            )
            first_at = (self.b0 + t + 1) * self.bucket_s + self.lateness_s
            for j, (event, calm) in enumerate(zip(eventful.tolist(), near.tolist(), strict=True)):
                if event or (t + j) in viral:
                    track.skip_quiet_run(quiet_since)
                    return t + j
                at_s = first_at + j * self.bucket_s
                if not calm:
                    quiet_since = None
                elif quiet_since is None:
                    quiet_since = datetime.fromtimestamp(at_s, UTC)
                elif at_s - quiet_since.timestamp() >= resolve_s:
                    track.skip_quiet_run(quiet_since)
                    return t + j
            t = hour_end
        track.skip_quiet_run(quiet_since)
        return self.size

    def _expected_in_hour(self, name: str, t: int, hour_end: int) -> Floats:
        """The expected window for buckets t … hour_end-1 (one hour): the window's buckets in
        this hour weigh this hour's slot, those in the hour before weigh that one's."""
        base = self.neg_base if name == "neg" else self.pos_base
        k, bucket_s = self.k, self.bucket_s
        if k > self.per_hour:  # a window longer than an hour: bucket by bucket
            return np.asarray([base.window_expected((self.b0 + j - k + 1) * bucket_s, k, bucket_s)
                               for j in range(t, hour_end)])  # fmt: skip
        hour_start_s = ((self.b0 + t) // self.per_hour) * 3600
        this_hour = base.expected(base.slot(hour_start_s))
        hour_before = base.expected(base.slot(hour_start_s - 3600))
        offsets = (self.b0 + np.arange(t, hour_end)) % self.per_hour  # bucket's place in hour
        in_before = np.maximum(0, k - 1 - offsets)
        result: Floats = in_before * hour_before + (k - in_before) * this_hour
        return result

    def _reset_learning(self) -> None:
        self._hour = self.b0 // self.per_hour

    def _learn_until(self, t: int, name: str) -> None:
        base = self.neg_base if name == "neg" else self.pos_base
        hour = (self.b0 + t) // self.per_hour
        first_hour = self.b0 // self.per_hour
        hourly = self.hourly[name]
        while self._hour < hour:
            signal = float(hourly[self._hour - first_hour])
            base.update(base.slot(self._hour * 3600), signal / self.per_hour)
            self._hour += 1

    def _view(self, t: int, name: str, viral_row: int | None) -> WindowView:
        negative = name == "neg"
        base = self.neg_base if negative else self.pos_base
        index = self.b0 + t
        total = self._window("total", t) or 1.0
        neg_count = self._window("neg_n", t)
        count = neg_count if negative else self._window("pos_n", t)
        expected = base.window_expected((index - self.k + 1) * self.bucket_s, self.k,
                                        self.bucket_s)  # fmt: skip
        end_s = (index + 1) * self.bucket_s
        polarity = self.neg if negative else self.pos

        def details() -> tuple[list[Ref], str]:
            return self._refs(t, polarity), base.describe(end_s - 1)

        return WindowView(
            at=datetime.fromtimestamp(end_s + self.lateness_s, UTC),
            signal=self._window(name, t),
            previous=self._window(name, t - self.k) if t >= self.k else 0.0,
            expected=expected,
            count=int(count),
            stories=int(self._window(name + "_st", t)),
            share=count / total,
            negative_share=neg_count / total,
            viral=self._ref(viral_row) if viral_row is not None else None,
            details=details,
        )

    def _refs(self, t: int, polarity: npt.NDArray[np.bool_]) -> list[Ref]:
        lo = np.searchsorted(self.local, t - self.k + 1, "left")
        hi = np.searchsorted(self.local, t, "right")
        return [self._ref(i) for i in range(lo, hi) if polarity[i]]

    def _ref(self, i: int) -> Ref:
        o = self.c.observation(int(self.rows[i]))
        return Ref(
            o.virality.score, float(self.c.epochs[self.rows[i]]), o.id, o.url, o.text, o.story
        )
