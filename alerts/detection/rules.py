"""The detection rules, each written once, for both engines.

The live monitor (alerts/detection/) calls them with floats, one mention or one window at a
time; the replay engine (alerts/replay/) with numpy arrays, every mention or window of a
brand at once. Each is made of operations that numpy applies element by element and Python
applies to floats alike, so both engines compute the same values bit for bit.
"""

from typing import TypeVar, overload

import numpy as np
import numpy.typing as npt

from schemas.config import DetectionSettings

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Value = TypeVar("Value", float, Floats)
"""A float (live) or an array of them (replay)."""

WEIGHT_QUANTUM = 1024.0  # weights are multiples of 1/1024: exact sums below 2**43
UPDATE_GROWTH = 1.5  # an 'updated' event each time the peak grows by half


def story_weight(virality: Value) -> Value:
    """What one story adds to its bucket's signal: 1 + virality/25 (1 to 5), virality capped
    at 100, rounded to a multiple of 1/WEIGHT_QUANTUM — so sums of weights are exact in
    float64 whatever the order of the additions (the two engines add in other orders)."""
    weight: Value = np.round((1.0 + np.minimum(virality, 100.0) / 25.0) * WEIGHT_QUANTUM)
    return weight / WEIGHT_QUANTUM


@overload
def is_negative(score: float, rule: DetectionSettings) -> bool: ...
@overload
def is_negative(score: Floats, rule: DetectionSettings) -> Bools: ...
def is_negative(score: Value, rule: DetectionSettings) -> "bool | Bools":
    """A mention of the crisis track."""
    return score <= rule.negative_score_max


@overload
def is_positive(score: float, rule: DetectionSettings) -> bool: ...
@overload
def is_positive(score: Floats, rule: DetectionSettings) -> Bools: ...
def is_positive(score: Value, rule: DetectionSettings) -> "bool | Bools":
    """A mention of the opportunity track (never one of the crisis track)."""
    return (score > rule.negative_score_max) & (score >= rule.positive_score_min)


@overload
def may_go_viral(virality: float, followers: float, rule: DetectionSettings) -> bool: ...
@overload
def may_go_viral(virality: Floats, followers: Floats, rule: DetectionSettings) -> Bools: ...
def may_go_viral(virality: Value, followers: Value, rule: DetectionSettings) -> "bool | Bools":
    """A negative post that opens a crisis on its own: viral already, or from a wide reach."""
    return (virality >= rule.viral_score) | (followers >= rule.high_reach_followers)


def min_signal(rule: DetectionSettings) -> float:
    """Below this signal a window cannot be elevated, whatever its baseline."""
    return rule.min_volume / rule.sensitivity


def share(count: Value, total: Value) -> Value:
    """Share of a polarity among a window's mentions (0 in an empty window)."""
    result: Value = count / np.maximum(total, 1.0)
    return result


def threshold(expected: Value, rule: DetectionSettings) -> Value:
    """The signal from which a window is elevated (the sustained track), given its expected
    signal: `ratio` × the usual, and never below `min_signal`."""
    result: Value = np.maximum(min_signal(rule), rule.ratio / rule.sensitivity * expected)
    return result


def burst_threshold(expected: Value, rule: DetectionSettings) -> Value:
    """The signal from which a window is a burst (the fast track): `burst_ratio` × the usual."""
    result: Value = np.maximum(min_signal(rule), rule.burst_ratio / rule.sensitivity * expected)
    return result


def surprise(signal: Value, expected: Value) -> Floats:
    """How surprising `signal` is under a Poisson count of mean `expected`, as −log10 of a
    bound on the tail P(X ≥ signal): the Chernoff bound e^{−D} with D = s·ln(s/λ) − s + λ
    (0 when s ≤ λ). Scaled to the volume, as a ratio is not: 6 mentions where 0.5 are usual
    (×12) is a p < 10⁻³ fluke, 60 where 5 are usual (×12 too) is p < 10⁻³⁷. np.log, never
    math.log, so floats and arrays get the same bits. An array (0-d for floats)."""
    rate = np.maximum(expected, 1e-9)
    above = np.maximum(signal, rate)
    bits: Floats = np.where(
        signal > rate, (above * np.log(above / rate) - above + rate) / np.log(10.0), 0.0
    )
    return bits


def surprise_floor(rule: DetectionSettings) -> float:
    """The surprise from which a window is beyond Poisson noise: `surprise_min`, lowered
    by `sensitivity`."""
    return rule.surprise_min / rule.sensitivity


def surprising(signal: Value, expected: Value, rule: DetectionSettings) -> "bool | Bools":
    """Beyond Poisson noise: p below 10^-`surprise_floor`."""
    result: bool | Bools = surprise(signal, expected) >= surprise_floor(rule)
    return result


@overload
def elevated(
    signal: float, expected: float, polarity_share: float, stories: float,
    rule: DetectionSettings,
) -> bool: ...  # fmt: skip
@overload
def elevated(
    signal: Floats, expected: Floats, polarity_share: Floats, stories: Floats,
    rule: DetectionSettings,
) -> Bools: ...  # fmt: skip
def elevated(signal: Value, expected: Value, polarity_share: Value, stories: Value,
             rule: DetectionSettings) -> "bool | Bools":  # fmt: skip
    """Well above the usual for that hour of the week (`ratio` × and beyond Poisson noise),
    mostly of this polarity, and of `min_stories` stories at least (one post, however viral,
    is the viral trigger's, even among ordinary ones): what the sustained track counts."""
    return (
        (signal >= threshold(expected, rule))
        & surprising(signal, expected, rule)
        & (polarity_share >= rule.min_negative_share)
        & (stories >= rule.min_stories)
    )


@overload
def bursting(
    signal: float, expected: float, usual_peak: float, rule: DetectionSettings
) -> bool: ...
@overload
def bursting(
    signal: Floats, expected: Floats, usual_peak: Floats, rule: DetectionSettings
) -> Bools: ...
def bursting(signal: Value, expected: Value, usual_peak: Value,
             rule: DetectionSettings) -> "bool | Bools":  # fmt: skip
    """An elevated window that is also `burst_ratio` × the usual, and beyond the brand's
    usual peaks (`beyond_usual_peak`): what the fast track counts (with `rising`). A
    heavy-tailed stream's short spikes reach `ratio` often, and this rarely."""
    return (signal >= burst_threshold(expected, rule)) & beyond_usual_peak(
        signal, expected, usual_peak
    )


@overload
def beyond_usual_peak(signal: float, expected: float, usual_peak: float) -> bool: ...
@overload
def beyond_usual_peak(signal: Floats, expected: Floats, usual_peak: Floats) -> Bools: ...
def beyond_usual_peak(signal: Value, expected: Value, usual_peak: Value) -> "bool | Bools":
    """At least as surprising as the brand's usual peaks (alerts/detection/peaks.py): what
    a burst must be, and what the window that opens a sustained rise must be. A heavy-tailed
    brand is ×5 its usual for half an hour several times a week (a retweet storm that lasts);
    a Poisson-like brand's usual peak stays near `surprise_min`, so this changes nothing
    there."""
    result: bool | Bools = surprise(signal, expected) >= usual_peak
    return result


def peak_candidate(signal: Value, expected: Value, polarity_share: Value,
                   rule: DetectionSettings) -> Floats:  # fmt: skip
    """What a window adds to its hour's peak (alerts/detection/peaks.py): its surprise, if
    it could be elevated (above `min_signal`, mostly of this polarity), else 0."""
    eligible = (signal >= min_signal(rule)) & (polarity_share >= rule.min_negative_share)
    result: Floats = np.where(eligible, surprise(signal, expected), 0.0)
    return result


@overload
def rising(signal: float, previous: float) -> bool: ...
@overload
def rising(signal: Floats, previous: Floats) -> Bools: ...
def rising(signal: Value, previous: Value) -> "bool | Bools":
    """Accelerating: above the window just before (not overlapping)."""
    return signal > previous


@overload
def escalates(signal: float, previous: float, level: float, rule: DetectionSettings) -> bool: ...
@overload
def escalates(signal: Floats, previous: Floats, level: float, rule: DetectionSettings) -> Bools: ...
def escalates(signal: Value, previous: Value, level: float,
              rule: DetectionSettings) -> "bool | Bools":  # fmt: skip
    """An open incident's severity goes up (if it can): still rising, and `escalate_factor`
    above the signal of its last escalation (`level`)."""
    return rising(signal, previous) & (signal >= level * rule.escalate_factor)


@overload
def reports_peak(signal: float, reported_peak: float) -> bool: ...
@overload
def reports_peak(signal: Floats, reported_peak: float) -> Bools: ...
def reports_peak(signal: Value, reported_peak: float) -> "bool | Bools":
    """An open incident gets an 'updated' event: its peak grew by UPDATE_GROWTH since the
    last one reported."""
    return signal >= reported_peak * UPDATE_GROWTH


@overload
def near_baseline(signal: float, expected: float, rule: DetectionSettings) -> bool: ...
@overload
def near_baseline(signal: Floats, expected: Floats, rule: DetectionSettings) -> Bools: ...
def near_baseline(signal: Value, expected: Value, rule: DetectionSettings) -> "bool | Bools":
    """Back to about the usual: what resolves an incident, after `resolve_after_minutes`."""
    calm: bool | Bools = signal <= np.maximum(1.5 * expected, min_signal(rule) / 2)
    return calm


def cooling(
    at_s: float, cool_until_s: float, signal: float, last_peak: float, rule: DetectionSettings
) -> bool:
    """Within `cooldown_minutes` of an incident's resolution, a new one opens only if it
    beats the last one's peak by `escalate_factor` (a flare-up of the same story is not a
    new page)."""
    return at_s < cool_until_s and signal < last_peak * rule.escalate_factor


def service_outage(service_count: int, count: int, rule: DetectionSettings) -> bool:
    """An accelerating crisis is a service outage: most of its window's negative mentions
    are service requests (at least `service_outage_share`)."""
    return count > 0 and service_count >= rule.service_outage_share * count


def severity_level(signal: float, threshold_signal: float) -> int:
    """Severity at opening (index into SEVERITIES): by how many times the threshold is met."""
    ratio = signal / threshold_signal
    return 0 if ratio < 2 else 1 if ratio < 4 else 2
