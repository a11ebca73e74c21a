"""The statistics of detection on small hand-made series: the Poisson surprise, the burst and
sustained tracks, the level shift, the cool-down. Behaviours run through both engines
(tests/unit/detection_engines.py), which must agree event for event."""

import math
import re
from datetime import timedelta

import numpy as np

from alerts.detection.incidents import Transition
from alerts.detection.observation import Observation
from alerts.detection.peaks import PEAK_HOURS, PEAK_RANK, PeakHistory, usual_peaks
from alerts.detection.rules import bursting, elevated, surprise
from schemas.config import DetectionSettings
from tests.unit.test_detector import T0, obs, opened, run

RULE = DetectionSettings()
DAY = 24 * 60
DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def steady(start_min: float, minutes: float, per_10_min: float, prefix: str) -> list[Observation]:
    """Negative posts evenly spread: `per_10_min` of them every 10 minutes."""
    step = 10 / per_10_min
    return [obs(start_min + i * step, -0.8, ident=f"{prefix}{i}")
            for i in range(int(minutes / step))]  # fmt: skip


def usual(weeks: int = 2) -> list[Observation]:
    """Five negative posts every 10 minutes, day and night, for `weeks` weeks."""
    return steady(0, weeks * 7 * DAY, 5, "u")


def pages(events: list[Transition], after_min: float = DAY) -> list[Transition]:
    """Crises opened after the first day (before it, nothing is usual yet), or after then."""
    return [t for t in opened(events) if t.at >= T0 + timedelta(minutes=after_min)]


def test_surprise_is_the_poisson_chernoff_bound_in_powers_of_ten() -> None:
    # 10 where 1 is usual: 10·ln 10 − 10 + 1 nats
    assert math.isclose(float(surprise(10.0, 1.0)), (10 * math.log(10) - 9) / math.log(10))
    assert float(surprise(1.0, 2.0)) == 0.0  # below the usual: no surprise
    # the same ratio is a fluke at low volume, and not at high volume
    assert float(surprise(5.0, 0.5)) < 4 < float(surprise(50.0, 5.0))  # ×10 both
    values = np.array([0.0, 0.4, 3.0, 10.0, 600.0])
    rates = np.array([0.05, 0.5, 0.5, 1.0, 50.0])
    assert [float(surprise(float(v), float(r))) for v, r in zip(values, rates, strict=True)] == (
        surprise(values, rates).tolist()
    )  # the same bits for floats (live) and arrays (replay)


def test_a_burst_needs_burst_ratio_and_elevation_needs_ratio_and_surprise() -> None:
    assert not elevated(20.0, 5.0, 1.0, 20, RULE)  # ×4
    assert elevated(30.0, 5.0, 1.0, 30, RULE) and not bursting(30.0, 5.0, 0.0, RULE)  # ×6
    assert bursting(60.0, 5.0, 0.0, RULE)  # ×12
    peak = float(surprise(60.0, 5.0))
    assert bursting(60.0, 5.0, peak, RULE) and not bursting(59.0, 5.0, peak, RULE)
    assert not elevated(3.0, 0.1, 1.0, 3, RULE)  # ×30 but below min_volume
    assert not elevated(5.0, 0.8, 1.0, 5, RULE)  # ×6 of 5 posts: within Poisson noise
    assert elevated(40.0, 0.8, 0.7, 40, RULE) and not elevated(40.0, 0.8, 0.5, 40, RULE)  # share
    assert not elevated(6.0, 0.1, 1.0, 2, RULE)  # a viral post and another: not a burst


def _learned_hour_by_hour(hour_peaks: list[float], floor: float) -> list[float]:
    """PeakHistory's usual peak before each hour, learning them one by one."""
    history = PeakHistory(floor)
    live = []
    for peak in hour_peaks:
        live.append(history.usual)
        history.add(float(peak))
        history.close_hour(0)
    return live


def test_the_usual_peak_is_the_same_learned_hour_by_hour_or_all_at_once() -> None:
    rng = np.random.default_rng(3)
    n = 3 * PEAK_HOURS
    hour_peaks = np.where(rng.random(n) < 0.3, rng.exponential(4, n), 0)  # runs of bursts
    live = _learned_hour_by_hour(hour_peaks.tolist(), 3.0)
    assert live == usual_peaks(hour_peaks, 3.0).tolist()
    assert live[PEAK_RANK - 1] == 0.0 and live[-1] > 0.0
    for floor in (0.0, 6.0):  # every hour above 0 a burst hour; hardly any
        assert _learned_hour_by_hour(hour_peaks.tolist(), floor) == (
            usual_peaks(hour_peaks, floor).tolist()
        )
    history = PeakHistory(3.0)
    history.add(50.0)
    history.close_hour(10 * PEAK_HOURS)  # a long silence: bounded work, and forgotten
    assert history.usual == 0.0


def test_a_burst_of_many_hours_counts_once_among_the_usual_peaks() -> None:
    # a six-hour storm peaking at 50, then two one-hour bursts of 5 and 6, and noise below
    # the floor (3): the third largest burst is 5, where the third largest hour would be 40
    storm = [10.0, 20.0, 50.0, 40.0, 45.0, 30.0]
    hour_peaks = [2.0] * 24 + storm + [1.0] * 10 + [5.0] + [2.0] * 10 + [6.0] + [0.0] * 3
    live = _learned_hour_by_hour(hour_peaks, 3.0)
    assert PEAK_RANK == 3 and live[-1] == 5.0
    assert live == usual_peaks(np.array(hour_peaks), 3.0).tolist()
    # while a storm goes on it counts once, with its peak so far: bursts 4, 6 and 9 so far
    going_on = [4.0, 0.0, 5.0, 6.0, 0.0, 7.0, 8.0, 9.0, 9.5]
    assert _learned_hour_by_hour(going_on, 3.0)[-1] == 4.0
    assert usual_peaks(np.array(going_on), 3.0)[-1] == 4.0
    # four weeks on, the bursts are forgotten
    later = _learned_hour_by_hour(hour_peaks + [0.0] * PEAK_HOURS, 3.0)
    assert later[-1] == 0.0


def test_a_one_bucket_blip_of_twice_the_usual_does_not_page() -> None:
    onset = 2 * 7 * DAY + 14 * 60 + 0.5
    blip = [obs(onset + i / 10, -0.8, ident=f"b{i}") for i in range(5)]  # 10 in 10 minutes
    assert pages(run(usual(3) + blip)) == []


def test_a_fifty_fold_burst_pages_within_minutes() -> None:
    onset = 2 * 7 * DAY + 14 * 60
    burst = steady(onset, 30, 250, "x")
    found = pages(run(usual(2) + steady(2 * 7 * DAY, DAY, 5, "v") + burst))
    assert len(found) == 1 and found[0].incident.trigger == "negative_acceleration"
    delay = found[0].at - (T0 + _minutes(onset))
    assert delay <= _minutes(4)
    summary = found[0].incident.summary
    assert "the usual for Monday 15:00" in summary and "under the usual rate" in summary
    assert "p < 10⁻" in summary  # why, in figures


def test_a_sustained_fivefold_rise_pages_though_it_never_bursts() -> None:
    onset = 2 * 7 * DAY + 14 * 60
    rise = steady(onset, 3 * 60, 5 * 5.5, "s")  # ×5.5 for three hours: never ×10
    found = pages(run(usual(2) + steady(2 * 7 * DAY, DAY, 5, "v") + rise))
    assert len(found) == 1
    delay = found[0].at - (T0 + _minutes(onset))
    assert _minutes(RULE.sustained_minutes) <= delay <= _minutes(RULE.sustained_minutes + 15)
    # the same rise over ten minutes only is a spike, not a crisis
    short = steady(onset, 10, 5 * 5.5, "s")
    assert pages(run(usual(2) + steady(2 * 7 * DAY, DAY, 5, "v") + short)) == []


def test_a_sustained_rise_below_a_heavy_tailed_brands_usual_bursts_does_not_page() -> None:
    """A brand with a storm every other day (×20 for 20 minutes): half an hour at ×5.5 is
    well within its tail, and opens nothing; a storm twice the size of its usual ones does."""
    storms = [x for day in range(1, 19, 2)
              for x in steady(day * DAY + (day % 24) * 60, 20, 100, f"st{day}-")]  # fmt: skip
    onset = 3 * 7 * DAY + 14 * 60
    base = usual(3) + storms + steady(3 * 7 * DAY, DAY, 5, "v")
    rise = steady(onset, 3 * 60, 5 * 5.5, "s")
    assert pages(run(base + rise), after_min=onset) == []
    bigger = steady(onset, 20, 200, "z")
    [page] = pages(run(base + bigger), after_min=onset)
    # why, in figures: this window's odds, and those of the brand's usual storms (p < 10⁻¹⁰⁰
    # or so: ×20 of 6), which it had to beat
    power = "10⁻([⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
    found = re.search(f"p < {power} under the usual rate, its usual bursts p < {power}",
                      page.incident.summary)  # fmt: skip
    assert found, page.incident.summary
    odds, storms = (int(x.translate(DIGITS)) for x in found.groups())
    assert odds >= storms >= 100


def test_a_level_shift_pages_once_then_becomes_the_usual() -> None:
    """The brand's volume grows sixfold for good: one page, resolved within days, and no
    other page in the weeks after (a brand that grows is not in crisis for ever)."""
    onset = 2 * 7 * DAY + 14 * 60
    grown = steady(onset, 3 * 7 * DAY, 30, "g")
    events = run(usual(2) + grown)
    found = pages(events)
    assert len(found) <= 1
    resolved = [t for t in events if t.event == "resolved" and t.incident.kind == "crisis"
                and t.at >= T0 + _minutes(onset)]  # fmt: skip
    if found:
        assert resolved and resolved[0].at - found[0].at <= _minutes(5 * DAY)
    assert [t for t in events if t.at >= T0 + _minutes(onset + 7 * DAY)
            and t.incident.kind == "crisis"] == []  # fmt: skip


def test_a_flare_up_within_the_cool_down_is_the_same_incident() -> None:
    onset = 2 * 7 * DAY + 14 * 60
    base = usual(2) + steady(2 * 7 * DAY, 4 * DAY, 5, "v")
    first = steady(onset, 20, 250, "x")
    again = steady(onset + 4 * 60, 20, 250, "y")  # the same size, four hours later
    bigger = steady(onset + 4 * 60, 20, 1500, "z")  # six times the first one's peak
    assert len(pages(run(base + first))) == 1
    assert len(pages(run(base + first + again))) == 1  # within the cool-down
    assert len(pages(run(base + first + bigger))) == 2  # beats the last peak: a new page
    later = steady(onset + RULE.cooldown_minutes + 4 * 60, 20, 250, "w")
    assert len(pages(run(base + first + later))) == 2  # after the cool-down


def _minutes(m: float) -> timedelta:
    return timedelta(minutes=m)
