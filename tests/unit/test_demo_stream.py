"""The bundled demo weekend: deterministic, quiet, then an accelerating crisis."""

import itertools
from datetime import UTC, datetime, timedelta

from schemas.event_time import event_time_problem
from tests.helpers import make_config
from veille.demo.run import demo_config
from veille.demo.stream import CRISIS_ONSET, WEEKEND_START, demo_weekend


def test_same_seed_same_weekend() -> None:
    assert demo_weekend() == demo_weekend()
    assert demo_weekend(seed=1) != demo_weekend()


def test_sorted_and_crisis_only_after_onset() -> None:
    posts = demo_weekend()
    assert [p.published_at for p in posts] == sorted(p.published_at for p in posts)
    assert posts[0].published_at >= WEEKEND_START
    assert all(p.published_at >= CRISIS_ONSET for p in posts if p.crisis)


def test_the_crisis_accelerates() -> None:
    crisis = [p.published_at for p in demo_weekend() if p.crisis]
    per_hour = [
        sum(1 for t in crisis if CRISIS_ONSET + timedelta(hours=h) <= t
            < CRISIS_ONSET + timedelta(hours=h + 1))
        for h in range(3)
    ]  # fmt: skip
    assert per_hour[0] < per_hour[1] < per_hour[2]


def test_every_post_names_a_brand() -> None:
    for post in demo_weekend():
        text = post.text.lower()
        assert (
            "air volaris" in text
            or "@airvolaris" in text
            or "#airvolaris" in text
            or ("maison lumen" in text)
        ), post.text


def test_the_demo_weekend_is_believed_in_the_years_ahead() -> None:
    config = make_config("127.0.0.1:9", "http://127.0.0.1:9", event_time={})  # the defaults
    posts = demo_weekend()
    in_2031 = datetime(2031, 6, 1, tzinfo=UTC)
    assert event_time_problem(posts[0].published_at, in_2031, config.event_time)  # the floor
    rule = demo_config(config).event_time
    assert all(event_time_problem(p.published_at, in_2031, rule) is None for p in posts)
    assert rule.max_future_skew_s == config.event_time.max_future_skew_s


def test_customer_requests_nobody_answers_pile_up_before_the_crisis() -> None:
    requests = [p for p in demo_weekend() if p.service]
    assert len(requests) >= 15 and all(p.published_at < CRISIS_ONSET for p in requests)
    assert not any(p.crisis for p in requests)
    gaps = [b.published_at - a.published_at for a, b in itertools.pairwise(requests)]
    assert max(gaps) < timedelta(hours=3)  # all along Friday and Saturday
