"""replay_batch: the detector over a whole, time-ordered file — the replay engine.

The live BrandMonitor files mentions one by one into buckets; here the buckets of a brand
are aggregated at once with numpy (signals, stories, counts, window sums by cumulative sums),
and so are the baseline's expected windows (alerts/replay/baseline.py, equal bit for bit to
what HourOfWeekBaseline learns hour by hour). What the live IncidentTrack decides at each
window is then computed for all windows at once — elevated, rising, the rising run, near the
baseline — and only the windows where something happens are handed, in time order, to the
*same* IncidentTrack code: where the closed track opens, and where the open incident
escalates, reports a new peak or resolves. Every other window changes only the rising run or
the quiet run, which are carried over. The equivalence with the live monitor — same
transitions, same incidents — is a test (tests/unit/test_replay.py), on generated scenarios.

Replay semantics follow the live ones: the watermark is the latest event time read; a
brand's buckets close when it passes their end plus the allowed lateness; a mention whose
bucket was already closed when it was read is late and not counted; a mention id counts
once per bucket (its first reading).
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from alerts.detection.baseline import SILENCE_HORIZON_HOURS, HourOfWeekBaseline
from alerts.detection.detector import RuleFor, brand_words
from alerts.detection.incidents import IncidentTrack, Ref, Transition, WindowView, in_event_order
from alerts.detection.observation import Observation
from alerts.detection.peaks import usual_peaks
from alerts.detection.rules import (
    beyond_usual_peak,
    bursting,
    elevated,
    escalates,
    is_negative,
    is_positive,
    may_go_viral,
    near_baseline,
    peak_candidate,
    reports_peak,
    rising,
    share,
    story_weight,
    surprise_floor,
)
from alerts.replay.baseline import WindowBaselines
from alerts.replay.columns import Columns, Lines, ReplayError, columns_from_bytes, columns_of
from alerts.replay.forked import PARALLEL_FROM, map_forked, processes_for
from schemas.config import DetectionSettings

__all__ = ["ReplayError", "replay_batch", "replay_bytes"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def replay_batch(
    observations: Sequence[Observation], rule_for: RuleFor, processes: int | None = None
) -> list[Transition]:
    """Every transition the live detector would emit for these time-ordered observations
    (those of unknown date left out, as the live stage does)."""
    dated = [o for o in observations if o.published_at_known]
    if not dated:
        return []
    return _detect(columns_of(dated), rule_for, processes, len(dated))


def replay_bytes(
    data: Lines, rule_for: RuleFor, processes: int | None = None,
    parallel_from_bytes: int = PARALLEL_FROM * 500,
) -> list[Transition]:  # fmt: skip
    """The same, straight from JSON lines (a bad one raises ReplayError naming it)."""
    processes = processes_for(processes, len(data) // 500, parallel_from_bytes // 500)
    columns = columns_from_bytes(data, processes)
    if columns is None:
        return []
    return _detect(columns, rule_for, processes, len(columns.epochs))


def _detect(columns: Columns, rule_for: RuleFor, processes: int | None, n: int) -> list[Transition]:
    keys = sorted(columns.groups, key=lambda key: -len(columns.groups[key]))  # biggest first

    def run_brand(key: tuple[str, str]) -> list[Transition]:
        tenant, brand = key
        return Brand(tenant, brand, rule_for(tenant, brand), columns, columns.groups[key]).run()

    results = map_forked(run_brand, keys, processes_for(processes, n))
    return in_event_order([t for result in results for t in result])


class _Series:
    """One track's windows, bucket by bucket: what `IncidentTrack.evaluate` reads of them."""

    def __init__(self, brand: "Brand", name: str, viral: dict[int, int]):
        rule, windows, size, k = brand.rule, brand.windows, brand.size, brand.k
        self.name, self.viral = name, viral
        self.signal = windows[name]
        self.previous = np.zeros(size)  # the window just before (not overlapping)
        self.previous[k:] = self.signal[: max(size - k, 0)]
        self.expected = brand.baselines.expected(brand.hourly[name])
        self.viral_at = np.zeros(size, bool)
        self.viral_at[list(viral)] = True
        count = windows["neg_n" if name == "neg" else "pos_n"]
        polarity_share = share(count, windows["total"])
        self.share = polarity_share
        high = elevated(self.signal, self.expected, polarity_share, windows[name + "_st"], rule)
        self.usual_peak = self._usual_peaks(brand, polarity_share)
        fast = (
            high
            & bursting(self.signal, self.expected, self.usual_peak, rule)
            & rising(self.signal, self.previous)
        )
        # the runs `evaluate` counts, ending at each bucket, had nothing reset them before (a
        # window that is not elevated breaks both: evaluated, or left below `min_signal` and
        # `idle()`); a resolution resets them, which `Brand._track` accounts for
        self.run = _runs(fast)
        self.sustained = _runs(high)
        self.sustained_needed = -(-rule.sustained_minutes // rule.bucket_minutes)
        # a sustained rise opens only at a window beyond the usual peaks
        self.beyond = beyond_usual_peak(self.signal, self.expected, self.usual_peak)
        # where the closed track may open: a run long enough, or a viral post (crisis)
        self.openers = np.flatnonzero(
            (self.run >= rule.rising_windows)
            | ((self.sustained >= self.sustained_needed) & self.beyond)
            | self.viral_at
        )

    def _usual_peaks(self, brand: "Brand", polarity_share: Floats) -> Floats:
        """Per bucket: the usual peak once the hours before its own are learned."""
        candidates = peak_candidate(self.signal, self.expected, polarity_share, brand.rule)
        hour_peaks = np.maximum.reduceat(candidates, brand._hour_starts(brand.b0, brand.size))
        hours = (brand.b0 + np.arange(brand.size)) // brand.per_hour - brand.b0 // brand.per_hour
        result: Floats = usual_peaks(hour_peaks, surprise_floor(brand.rule))[hours]
        return result


def _runs(counts: npt.NDArray[np.bool_]) -> Ints:
    """At each bucket: how many buckets in a row, up to it, have `counts`."""
    index = np.arange(len(counts))
    result: Ints = index - np.maximum.accumulate(np.where(counts, -1, index))
    return result


class Brand:
    """One brand's replay: its counted rows, the spans of buckets worked on, its tracks."""

    def __init__(self, tenant: str, brand: str, rule: DetectionSettings, columns: Columns,
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
        self.base = _clock(rule.timezone)
        self.rows = self.rows_counted = self._counted(rows)

    def _counted(self, rows: Ints) -> Ints:
        """Rows that count: not late, and the first reading of their id in their bucket; in
        bucket order, reading order within a bucket (as the live monitor's windows hold them:
        input read out of order, within the lateness, is put back in its place)."""
        c = self.c
        buckets = np.floor_divide(c.epochs[rows], self.bucket_s).astype(np.int64)
        # the next bucket to close when each reading arrives: none is late until the
        # watermark has passed the earliest bucket read so far (the first judged); from then
        # on, every bucket before the watermark's limit (limits only grow) is closed
        closed_before = np.full(len(rows), np.iinfo(np.int64).min, np.int64)
        if len(rows) > 1:
            limits = np.floor_divide(c.watermarks[rows[:-1]] - self.lateness_s, self.bucket_s)
            started = np.logical_or.accumulate(limits > np.minimum.accumulate(buckets[:-1]))
            closed_before[1:] = np.where(started, limits, closed_before[1:])
        keep = buckets >= closed_before
        rows, buckets = rows[keep], buckets[keep]
        pairs = np.stack([buckets, c.ids[rows]], axis=1)
        _, first = np.unique(pairs, axis=0, return_index=True)
        first.sort()
        order = first[np.argsort(buckets[first], kind="stable")]
        self.buckets_counted = buckets[order]
        return rows[order]

    def run(self) -> list[Transition]:
        out: list[Transition] = []
        for lo, hi, b0, end in self.spans():
            out += self._run_span(self.rows_counted[lo:hi], self.buckets_counted[lo:hi], b0, end)
        return out

    def spans(self) -> list[tuple[int, int, int, int]]:
        """(first row, end row, first bucket, end bucket) of each stretch of buckets worked
        on: the whole brand, but for its silences — after its last mention before one, only
        the buckets where something may still happen (the window empties, an open incident
        resolves); after the silence, from SILENCE_HORIZON_HOURS before the next mention on,
        where the live baseline is left learning the silence's last hours. A post dated in
        the year 9999 thus costs a few weeks of buckets, not eight thousand years."""
        rule, per_hour, buckets = self.rule, self.per_hour, self.buckets_counted
        end = math.floor((self.c.final_watermark - self.lateness_s) / self.bucket_s)  # exclusive
        tail = self.k + -(-rule.resolve_after_minutes // rule.bucket_minutes) + 2
        silence = tail + (SILENCE_HORIZON_HOURS + 2) * per_hour
        cuts = [0, *(np.flatnonzero(np.diff(buckets) > silence) + 1).tolist(), len(buckets)]
        spans = []
        for lo, hi in pairwise(cuts):
            first = int(buckets[lo])
            if lo:
                first = (first // per_hour - SILENCE_HORIZON_HOURS) * per_hour
            last = min(end, int(buckets[hi - 1]) + tail + 1)
            if last > first:
                spans.append((lo, hi, first, last))
        return spans

    def _run_span(self, rows: Ints, buckets: Ints, b0: int, end: int) -> list[Transition]:
        c, rule = self.c, self.rule
        self.rows = rows
        size = end - b0
        scores = c.scores[rows]
        neg = is_negative(scores, rule)
        pos = is_positive(scores, rule)
        weights = story_weight(c.virality[rows])
        local = buckets - b0
        inside = local < size
        dense = {
            "total": np.bincount(local[inside], minlength=size)[:size].astype(np.float64),
            "neg_n": np.bincount(local[inside & neg], minlength=size)[:size].astype(np.float64),
            "pos_n": np.bincount(local[inside & pos], minlength=size)[:size].astype(np.float64),
            "svc_n": np.bincount(local[inside & neg & c.service[rows]], minlength=size)[
                :size
            ].astype(np.float64),
        }
        for name, mask in (("neg", neg & inside), ("pos", pos & inside)):
            signal, stories = self._stories(local[mask], c.stories[rows[mask]], weights[mask], size)
            dense[name], dense[name + "_st"] = signal, stories
        self.b0, self.size = b0, size
        self.windows = {
            name: self._window_sums(np.concatenate([[0.0], np.cumsum(v)]), size)
            for name, v in dense.items()
        }
        self.hourly = {
            name: np.add.reduceat(dense[name], self._hour_starts(b0, size))
            for name in ("neg", "pos")
        }
        self.local, self.neg, self.pos = local, neg, pos
        self.baselines = WindowBaselines(rule, self.base, b0, size)
        viral = self._viral_buckets(local, neg, inside)
        out = self._track(self.crisis, _Series(self, "neg", viral))
        if rule.opportunities:
            positive = _Series(self, "pos", {})
            out += self._track(self.opportunity, positive)
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
        qualifies = neg & inside & may_go_viral(c.virality[rows], c.followers[rows], rule)
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

    def _track(self, track: IncidentTrack, s: _Series) -> list[Transition]:
        """Evaluate only the windows that change something: where the closed track opens,
        then where the open incident escalates, is updated or resolves. Every other window
        the live monitor evaluates (or idles) changes only the rising run, or the quiet run
        of the open incident: both are carried over to the next window evaluated here."""
        out: list[Transition] = []
        origin = t = 0  # the rising run counts from `origin` (0 again after a resolution)
        while t < self.size:
            was_open = track.open is not None
            if was_open:
                t = self._next_eventful(track, s, t)
            else:
                t = self._next_opening(s, origin, t)
                if t < self.size:
                    before = t - origin  # the runs count from `origin`
                    track.carry_run(
                        min(int(s.run[t - 1]), before) if before else 0,
                        min(int(s.sustained[t - 1]), before) if before else 0,
                    )
            if t >= self.size:
                break
            out += track.evaluate(self._view(t, s))
            t += 1
            if was_open and track.open is None:
                origin = t
        return out

    def _next_opening(self, s: _Series, origin: int, start: int) -> int:
        """The first bucket from `start` at which the closed track opens: its rising run
        (counted from `origin`) is long enough, or its sustained run is and the window is
        beyond the usual peaks, or a viral post arrives (crisis)."""
        needed = self.rule.rising_windows
        i = int(np.searchsorted(s.openers, start))
        while i < len(s.openers):
            t = int(s.openers[i])
            since = t - origin + 1
            if (
                t in s.viral
                or min(int(s.run[t]), since) >= needed
                or (min(int(s.sustained[t]), since) >= s.sustained_needed and s.beyond[t])
            ):
                return t
            i += 1
        return self.size

    def _next_eventful(self, track: IncidentTrack, s: _Series, start: int) -> int:
        """The first bucket from `start` at which the open incident can change (escalate,
        report a new peak, resolve) or a viral post arrives; the quiet run is carried."""
        rule = self.rule
        level, peak, quiet_since, can_escalate = track.follow_state()
        quiet = quiet_since.timestamp() if quiet_since is not None else None
        resolve_s = rule.resolve_after_minutes * 60
        t, block = start, 256  # most incidents resolve within a few hundred buckets
        while t < self.size:
            end = min(self.size, t + block)
            cur = s.signal[t:end]
            eventful = reports_peak(cur, peak) | s.viral_at[t:end]
            if can_escalate:
                eventful |= escalates(cur, s.previous[t:end], level, rule)
            calm = near_baseline(cur, s.expected[t:end], rule)
            at = ((self.b0 + np.arange(t, end) + 1) * self.bucket_s + self.lateness_s).astype(
                np.float64
            )  # each window's event time
            index = np.arange(end - t)
            calm_from = np.maximum.accumulate(np.where(calm, -1, index)) + 1  # its quiet run
            since = at[np.minimum(calm_from, end - t - 1)]
            if quiet is not None:
                since[calm_from == 0] = quiet  # a quiet run carried over from before
            resolves = calm & (at - since >= resolve_s)
            stops = np.flatnonzero(eventful | resolves)
            stop = int(stops[0]) if len(stops) else end - t
            if stop > 0:
                quiet = float(since[stop - 1]) if calm[stop - 1] else None
            if len(stops):
                track.skip_quiet_run(_instant(quiet))
                return t + stop
            t, block = end, block * 2
        track.skip_quiet_run(_instant(quiet))
        return self.size

    def _view(self, t: int, s: _Series) -> WindowView:
        negative = s.name == "neg"
        windows = self.windows
        index = self.b0 + t
        total = float(windows["total"][t])
        neg_count = float(windows["neg_n"][t])
        count = neg_count if negative else float(windows["pos_n"][t])
        end_s = (index + 1) * self.bucket_s
        polarity = self.neg if negative else self.pos
        viral_row = s.viral.get(t)

        def details() -> tuple[list[Ref], str]:
            return self._refs(t, polarity), self.base.describe(end_s - 1)

        return WindowView(
            at=datetime.fromtimestamp(end_s + self.lateness_s, UTC),
            signal=float(s.signal[t]),
            previous=float(s.previous[t]),
            expected=float(s.expected[t]),
            count=int(count),
            stories=int(windows[s.name + "_st"][t]),
            share=float(share(count, total)),
            negative_share=float(share(neg_count, total)),
            usual_peak=float(s.usual_peak[t]),
            viral=self._ref(viral_row) if viral_row is not None else None,
            details=details,
            service_count=int(windows["svc_n"][t]) if negative else 0,
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


@cache
def _clock(timezone: str) -> HourOfWeekBaseline:
    """The slots and local hours of a timezone, for all its brands: nothing is learned into
    this baseline (`slot` and `describe` read no learned state), it caches the slots."""
    return HourOfWeekBaseline(timezone, 1, 1, 1.0)


def _instant(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None
