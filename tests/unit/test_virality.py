"""Virality: velocity between observations, bounded history, score and its components."""

from datetime import UTC, datetime, timedelta

import pytest

from enrich.virality import EngagementHistory, Observation, velocity_per_minute, virality
from schemas.mention import Author, Engagement
from tests.helpers import mention

T0 = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)


def seen(minute: float, likes: int = 0, reposts: int = 0, replies: int = 0) -> Engagement:
    at = T0 + timedelta(minutes=minute)
    return Engagement(likes=likes, reposts=reposts, replies=replies, observed_at=at)


def test_velocity_is_weighted_interactions_gained_per_minute() -> None:
    previous = Observation(interactions=10, observed_at=T0, velocity_per_minute=None)
    # 30 likes + 2×5 reposts = 40 weighted interactions: +30 in 5 minutes
    assert velocity_per_minute(previous, seen(5, likes=30, reposts=5)) == 6.0
    # 20 + 2×10 + 10 = 50: +40 in 2 minutes
    assert velocity_per_minute(previous, seen(2, likes=20, reposts=10, replies=10)) == 20.0


def test_velocity_unknown_without_a_previous_or_for_an_older_observation() -> None:
    previous = Observation(interactions=10, observed_at=T0, velocity_per_minute=3.0)
    assert velocity_per_minute(None, seen(0, likes=5)) is None
    assert velocity_per_minute(previous, seen(-1, likes=50)) is None
    assert velocity_per_minute(previous, seen(0, likes=10)) == 3.0  # the same observation again


def test_dropping_counts_give_zero_velocity() -> None:
    previous = Observation(interactions=100, observed_at=T0, velocity_per_minute=None)
    assert velocity_per_minute(previous, seen(10, likes=40)) == 0.0


def test_history_measures_each_update_against_the_previous_one() -> None:
    history = EngagementHistory(max_ids=10)
    assert history.observe("a", seen(0, likes=10)) is None
    assert history.observe("a", seen(2, likes=30)) == 10.0
    assert history.observe("a", seen(2, likes=30)) == 10.0  # redelivered: same answer
    assert history.observe("a", seen(1, likes=20)) is None  # out of order: not kept
    assert history.observe("a", seen(4, likes=70)) == 20.0  # still measured from minute 2
    assert history.observe("b", seen(4, likes=70)) is None  # ids never mix


def test_history_is_bounded_and_forgets_the_least_recently_seen() -> None:
    history = EngagementHistory(max_ids=2)
    history.observe("a", seen(0, likes=1))
    history.observe("b", seen(0, likes=1))
    history.observe("a", seen(1, likes=2))  # a is now the most recent
    history.observe("c", seen(0, likes=1))  # b goes
    assert len(history) == 2
    assert history.observe("a", seen(2, likes=12)) == 10.0  # kept
    assert history.observe("b", seen(5, likes=100)) is None  # forgotten: unknown again


def test_score_and_components() -> None:
    base = mention("x")
    nobody = virality(base.model_copy(update={"author": Author(followers=0)}))
    assert nobody.score == 0.0
    assert set(nobody.components) == {"reach", "engagement", "velocity", "cluster",
                                       "source_weight"}  # fmt: skip
    assert nobody.velocity_per_minute is None

    famous = base.model_copy(update={
        "author": Author(followers=10**7),
        "engagement": Engagement(likes=10**5, observed_at=T0),
    })  # fmt: skip
    still = virality(famous)
    assert still.components["reach"] == still.components["engagement"] == 1.0
    assert still.score == pytest.approx(50.0)  # reach 25 + engagement 25, velocity unknown
    rising = virality(famous, velocity=1000.0)
    assert rising.score == pytest.approx(80.0) and rising.velocity_per_minute == 1000.0
    story = virality(famous, velocity=1000.0, cluster_growth=200)
    assert story.score == 100.0 and story.cluster_growth == 200
    assert virality(famous, 1000.0, 200, source_weight=0.5).score == pytest.approx(50.0)


def test_score_grows_with_each_component_and_stays_in_bounds() -> None:
    m = mention("x").model_copy(update={"author": Author(followers=500)})
    plain = virality(m).score
    assert plain < virality(m, velocity=5.0).score < virality(m, velocity=50.0).score
    assert plain < virality(m, cluster_growth=3).score < virality(m, cluster_growth=30).score
    huge = virality(m, velocity=1e12, cluster_growth=10**9)
    assert plain >= 0.0 and virality(m).score < huge.score <= 100.0
