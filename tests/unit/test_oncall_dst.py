"""Daylight saving: a wall-clock time happens the first time the zone's clock reads it, so
handoffs on the spring-forward night, the autumn repeated hour and in a 30-minute zone
(Australia/Lord_Howe) leave no gap, no overlap and no hour lost."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.notify.oncall import on_call, timeline
from alerts.notify.oncall.wallclock import instant
from schemas.config import OnCallSettings

PARIS = ZoneInfo("Europe/Paris")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def daily(
    zone: str, handoff: str, start: str, restrictions: list[dict[str, str]] | None = None
) -> OnCallSettings:
    people = [{"id": p, "name": p.title()} for p in ("ana", "ben", "cy")]
    layer = {
        "id": "jour",
        "members": ["ana", "ben", "cy"],
        "length": "daily",
        "handoff": handoff,
        "start": start,
        "restrictions": restrictions or [],
    }
    schedule = {"id": "s", "time_zone": zone, "layers": [layer]}
    return OnCallSettings.model_validate({"people": people, "schedules": [schedule]})


def assert_continuous_and_exclusive(
    oncall: OnCallSettings, start: datetime, end: datetime
) -> list[timedelta]:
    """The slots tile [start, end); every minute has exactly one person, the slot's; the
    shift lengths are returned (whole shifts only)."""
    slots = timeline(oncall, "s", start, end)
    assert slots[0].start == start and slots[-1].end == end
    for left, right in itertools.pairwise(slots):
        assert left.end == right.start  # no gap, no overlap
        assert left.coverage != right.coverage
    assert all(s.coverage is not None for s in slots)
    assert sum((s.end - s.start for s in slots), timedelta()) == end - start  # no time lost
    minute, index = start, 0
    while minute < end:
        while slots[index].end <= minute:
            index += 1
        found = on_call(oncall, "s", minute)
        assert len(found) == 1 and found[0].id == slots[index].coverage.person
        minute += timedelta(minutes=1)
    return [s.end - s.start for s in slots[1:-1]]


def test_wall_clock_rule_in_the_gap_and_the_repeated_hour() -> None:
    # Spring 2026-03-29: Paris jumps from 02:00 CET to 03:00 CEST (01:00 UTC).
    assert instant(datetime(2026, 3, 29, 2, 30), PARIS) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert instant(datetime(2026, 3, 29, 3, 0), PARIS) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert instant(datetime(2026, 3, 29, 1, 59), PARIS) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    # Autumn 2026-10-25: 02:00–03:00 shows twice; the first 02:30 is CEST (00:30 UTC).
    assert instant(datetime(2026, 10, 25, 2, 30), PARIS) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    # Lord Howe 2026-10-04: 02:00 +10:30 → 02:30 +11:00, at 15:30 UTC the day before.
    assert instant(datetime(2026, 10, 4, 2, 15), LORD_HOWE) == datetime(
        2026, 10, 3, 15, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("zone", "handoff", "jump", "lost"),
    [  # the instant the clock jumps, and how much wall-clock time never shows
        ("Europe/Paris", "02:30", datetime(2026, 3, 29, 1, 0, tzinfo=UTC), timedelta(hours=1)),
        ("Europe/Paris", "02:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC), timedelta(hours=1)),
        (
            "Australia/Lord_Howe",
            "02:15",
            datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
            timedelta(minutes=30),
        ),
    ],
)
def test_spring_forward_handoff_happens_at_the_jump_with_no_gap(
    zone: str, handoff: str, jump: datetime, lost: timedelta
) -> None:
    oncall = daily(zone, handoff, "2026-01-01")
    start, end = jump - timedelta(days=3), jump + timedelta(days=3)
    lengths = assert_continuous_and_exclusive(oncall, start, end)
    handoffs = [s.start for s in timeline(oncall, "s", start, end)]
    assert jump in handoffs  # the handoff time never shows: it happens when the clock jumps
    # The shifts around the jump lose exactly the skipped time, all together.
    assert sum(lengths, timedelta()) == len(lengths) * timedelta(days=1) - lost
    assert all(timedelta(days=1) - lost <= length <= timedelta(days=1) for length in lengths)


@pytest.mark.parametrize(
    ("zone", "handoff", "night", "long"),
    [
        ("Europe/Paris", "02:30", datetime(2026, 10, 25, 0, 0, tzinfo=UTC), timedelta(hours=1)),
        (
            "Australia/Lord_Howe",
            "01:45",
            datetime(2026, 4, 4, 14, 0, tzinfo=UTC),
            timedelta(minutes=30),
        ),
    ],
)
def test_repeated_hour_shift_is_longer_with_no_overlap(
    zone: str, handoff: str, night: datetime, long: timedelta
) -> None:
    oncall = daily(zone, handoff, "2026-01-01")
    lengths = assert_continuous_and_exclusive(
        oncall, night - timedelta(days=2), night + timedelta(days=2)
    )
    assert sorted(lengths) == [timedelta(days=1)] * (len(lengths) - 1) + [timedelta(days=1) + long]


def test_autumn_handoff_happens_once_at_the_first_occurrence() -> None:
    oncall = daily("Europe/Paris", "02:30", "2026-10-24")  # ana from the 24th, ben from the 25th
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second_0215 = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET, the clock's second pass
    assert on_call(oncall, "s", first_0230 - timedelta(seconds=1))[0].id == "ana"
    assert on_call(oncall, "s", first_0230)[0].id == "ben"
    assert on_call(oncall, "s", second_0215)[0].id == "ben"  # not handed back to ana


def test_night_restriction_window_never_opens_twice_in_the_repeated_hour() -> None:
    oncall = daily(
        "Europe/Paris", "09:00", "2026-01-01", restrictions=[{"start": "22:00", "end": "02:30"}]
    )
    assert on_call(oncall, "s", datetime(2026, 10, 25, 0, 29, tzinfo=UTC))  # 02:29 CEST
    assert not on_call(oncall, "s", datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 CEST
    assert not on_call(oncall, "s", datetime(2026, 10, 25, 1, 15, tzinfo=UTC))  # 02:15 CET
    # On the spring night the window closes at the jump, 02:00 CET → 03:00 CEST.
    assert on_call(oncall, "s", datetime(2026, 3, 29, 0, 59, tzinfo=UTC))
    assert not on_call(oncall, "s", datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
