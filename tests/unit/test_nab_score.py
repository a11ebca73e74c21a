"""The benchmark's standard-profile score (bench/nab_score.py) on hand-made series, each
figure worked out by hand below."""

from datetime import UTC, datetime, timedelta

import pytest

from bench.nab_score import normalised, probation_rows, score_series

T0 = datetime(2015, 3, 1, tzinfo=UTC)
ROWS = [T0 + timedelta(minutes=5 * i) for i in range(100)]  # probation: rows 0..14


def at(row: int, seconds: int = 0) -> datetime:
    return ROWS[row] + timedelta(seconds=seconds)


def test_probation_is_15_percent_capped_at_750_rows() -> None:
    assert probation_rows(100) == 15
    assert probation_rows(15903) == 750


def test_a_window_caught_at_its_start_and_one_false_alarm_after_it() -> None:
    # window rows 40..49 (10 rows). Row 40: y = -(49-40+1)/10 = -1, worth σ(-1)/σ(-1) = 1.
    # Row 45: same window, ignored. Row 5: probation, ignored. Row 60 (a detection 2 min
    # into it): 11 rows past the end, y = 11/9, σ = 2/(1+e^(55/9)) - 1 = -0.995574,
    # costing 0.11 × 0.995574 = 0.109513. Raw: 1 - 0.109513 = 0.890487.
    score = score_series(ROWS, [(at(40), at(49))], [at(5), at(40), at(45), at(60, 120)])
    assert (score.windows, score.caught, score.false_alarms) == (1, 1, 1)
    assert score.raw == pytest.approx(0.890487, abs=1e-6)
    assert score.scored_seconds == (99 - 15) * 300


def test_a_late_catch_a_miss_and_a_false_alarm_before_any_window() -> None:
    # window rows 40..49 caught at row 44: y = -0.6, σ = 2/(1+e^-3) - 1 = 0.905148, over
    # σ(-1) = 0.986614: 0.917429. Window rows 70..79 missed: -1. Row 20, before any window:
    # -0.11. Raw: 0.917429 - 1 - 0.11 = -0.192571.
    score = score_series(ROWS, [(at(40), at(49)), (at(70), at(79))], [at(20), at(44)])
    assert (score.caught, score.false_alarms) == (1, 1)
    assert score.raw == pytest.approx(-0.192571, abs=1e-6)


def test_normalised_over_series_null_is_0_and_perfect_is_100() -> None:
    windows = [(at(40), at(49))]
    nothing = score_series(ROWS, windows, [])
    perfect = score_series(ROWS, windows, [at(40)])
    assert normalised([nothing]) == 0.0
    assert normalised([perfect]) == 100.0
    # both series of the tests above: raw 0.890487 and -0.192571 over 3 windows (null -3,
    # perfect 3): 100 × (0.697916 + 3) / 6 = 61.6319.
    one = score_series(ROWS, windows, [at(5), at(40), at(45), at(60, 120)])
    two = score_series(ROWS, [(at(40), at(49)), (at(70), at(79))], [at(20), at(44)])
    assert normalised([one, two]) == pytest.approx(61.6319, abs=1e-4)
