"""The dead-letter limit: consecutive rejections and the rejected share of a window."""

import pytest

from runtime.deadletter import DeadLetterLimit, DeadLetterLimitExceeded


def test_consecutive_rejections_stop_at_the_limit() -> None:
    limit = DeadLetterLimit(max_consecutive=3, max_ratio=None)
    limit.rejected("enrich", "bad")
    limit.rejected("enrich", "bad")
    limit.accepted(1)  # an accepted message resets the run
    limit.rejected("enrich", "bad")
    limit.rejected("enrich", "bad")
    with pytest.raises(DeadLetterLimitExceeded, match=r"3 consecutive.*last: broken"):
        limit.rejected("enrich", "broken")


def test_a_high_rejected_share_stops_even_without_a_long_run() -> None:
    limit = DeadLetterLimit(max_consecutive=1000, max_ratio=0.5, ratio_window=10)
    for _ in range(3):  # good, bad, bad: two thirds rejected, never 3 in a row
        limit.accepted(1)
        limit.rejected("index", "bad")
        if _ < 2:
            limit.rejected("index", "bad")
    with pytest.raises(DeadLetterLimitExceeded, match=r"6 of the last 10 messages rejected"):
        limit.accepted(1)
        limit.rejected("index", "bad")  # 10 seen, 6 rejected: 60 % > 50 %


def test_the_share_is_only_judged_on_a_full_window_and_slides() -> None:
    limit = DeadLetterLimit(max_consecutive=1000, max_ratio=0.5, ratio_window=4)
    limit.rejected("enrich", "bad")  # 1 of 1 seen: too few to judge
    limit.accepted(3)  # window [bad, ok, ok, ok]
    limit.rejected("enrich", "bad")  # [ok, ok, ok, bad]: 25 %
    limit.rejected("enrich", "bad")  # [ok, ok, bad, bad]: 50 %, not more
    with pytest.raises(DeadLetterLimitExceeded, match="75%"):
        limit.rejected("enrich", "bad")  # [ok, bad, bad, bad]


def test_a_trickle_of_bad_input_never_stops_the_stream() -> None:
    limit = DeadLetterLimit(max_consecutive=5, max_ratio=0.2, ratio_window=100)
    for _ in range(10_000):
        limit.accepted(9)
        limit.rejected("enrich", "bad")  # 10 %
