"""Pure parts of the aggregations: local buckets across DST, net sentiment."""

from datetime import UTC, datetime

from history.aggregations import bucket_bounds, net_sentiment


def test_day_buckets_are_local_days_even_across_dst() -> None:
    start = datetime(2026, 10, 24, 12, tzinfo=UTC)
    end = datetime(2026, 10, 26, 12, tzinfo=UTC)
    bounds = bucket_bounds(start, end, "day", "Europe/Paris")
    assert [b.isoformat() for b in bounds[:3]] == [
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
    ]
    assert (bounds[2].astimezone(UTC) - bounds[1].astimezone(UTC)).total_seconds() == 25 * 3600


def test_hour_buckets_keep_the_repeated_hour() -> None:
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST
    bounds = bucket_bounds(start, datetime(2026, 10, 25, 2, 0, tzinfo=UTC), "hour", "Europe/Paris")
    assert len(bounds) == 3 and bounds[0].astimezone(UTC) == start


def test_net_sentiment_ignores_neutral() -> None:
    assert net_sentiment({"positive": 3, "negative": 1, "neutral": 100}) == 50.0
    assert net_sentiment({"neutral": 4}) is None
