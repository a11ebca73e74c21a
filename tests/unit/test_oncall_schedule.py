"""On-call schedules as pure functions of the settings and an injected instant: rotations
(daily, weekly, custom), layer precedence, restrictions, overrides, recipients."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from alerts.notify.contract import Recipient
from alerts.notify.oncall import coverage, on_call, recipients, timeline
from schemas.config import OnCallSettings

PARIS = ZoneInfo("Europe/Paris")
PEOPLE = [
    {
        "id": "camille",
        "name": "Camille Roux",
        "email": "camille@horizon.fr",
        "phone": "+33600000001",
    },
    {"id": "karim", "name": "Karim Benali", "email": "karim@horizon.fr", "chat": "U024BE7LH"},
    {"id": "lea", "name": "Léa Martin", "email": "lea@horizon.fr"},
    {"id": "sophie", "name": "Sophie Laurent", "email": "sophie@horizon.fr"},
]


def settings(
    *layers: dict[str, Any],
    overrides: list[dict[str, Any]] | None = None,
    zone: str = "Europe/Paris",
) -> OnCallSettings:
    schedule = {
        "id": "astreinte",
        "time_zone": zone,
        "layers": list(layers),
        "overrides": overrides or [],
    }
    return OnCallSettings.model_validate({"people": PEOPLE, "schedules": [schedule]})


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def who(oncall: OnCallSettings, at: datetime) -> str | None:
    found = on_call(oncall, "astreinte", at)
    assert len(found) <= 1
    return found[0].id if found else None


WEEKDAYS = {
    "id": "semaine",
    "members": ["camille", "karim"],
    "length": "daily",
    "handoff": "09:00",
    "start": "2026-11-16",
}
WEEKEND = {
    "id": "week-end",
    "members": ["karim", "lea"],
    "length": "weekly",
    "handoff": "19:00",
    "start": "2026-11-13",
    "restrictions": [{"start": "fri 19:00", "end": "mon 08:00"}],
}


def test_daily_rotation_hands_off_at_the_local_time() -> None:
    oncall = settings(WEEKDAYS)
    assert who(oncall, paris(2026, 11, 16, 8, 59)) is None  # before the first handoff
    assert who(oncall, paris(2026, 11, 16, 9, 0)) == "camille"
    assert who(oncall, paris(2026, 11, 17, 8, 59)) == "camille"
    assert who(oncall, paris(2026, 11, 17, 9, 0)) == "karim"
    assert who(oncall, paris(2026, 11, 18, 9, 0)) == "camille"
    assert who(oncall, paris(2027, 11, 16, 9, 0)) == "karim"  # 365 days later: odd shift


def test_weekly_rotation_turns_each_week() -> None:
    oncall = settings({**WEEKEND, "restrictions": []})
    assert who(oncall, paris(2026, 11, 13, 19, 0)) == "karim"
    assert who(oncall, paris(2026, 11, 20, 18, 59)) == "karim"
    assert who(oncall, paris(2026, 11, 20, 19, 0)) == "lea"
    assert who(oncall, paris(2026, 11, 27, 19, 0)) == "karim"


def test_custom_rotation_of_twelve_hours_keeps_local_handoffs() -> None:
    oncall = settings(
        {
            "id": "deux-huit",
            "members": ["camille", "karim", "lea"],
            "length": "custom",
            "length_hours": 12,
            "handoff": "08:00",
            "start": "2026-03-27",
        }
    )
    assert who(oncall, paris(2026, 3, 27, 8, 0)) == "camille"
    assert who(oncall, paris(2026, 3, 27, 20, 0)) == "karim"
    assert who(oncall, paris(2026, 3, 28, 8, 0)) == "lea"
    # After the spring change (29 March) the handoffs are still at 08:00 and 20:00 Paris.
    assert who(oncall, paris(2026, 3, 29, 20, 0)) == "lea"
    assert who(oncall, paris(2026, 3, 30, 7, 59)) == "lea"
    assert who(oncall, paris(2026, 3, 30, 8, 0)) == "camille"


def test_higher_layer_wins_inside_its_restrictions_lower_layer_elsewhere() -> None:
    oncall = settings(WEEKEND, WEEKDAYS)
    saturday_night = paris(2026, 11, 21, 22, 0)  # the demo's crisis
    assert coverage(oncall, "astreinte", saturday_night).layer == "week-end"
    assert who(oncall, saturday_night) == "lea"
    assert who(oncall, paris(2026, 11, 20, 18, 59)) == "camille"  # Friday, weekday layer
    assert who(oncall, paris(2026, 11, 20, 19, 0)) == "lea"  # the weekend starts
    assert who(oncall, paris(2026, 11, 23, 7, 59)) == "lea"
    assert who(oncall, paris(2026, 11, 23, 8, 0)) == "camille"  # Monday 08:00: weekdays again
    # Listed the other way, the unrestricted weekday layer always wins.
    assert who(settings(WEEKDAYS, WEEKEND), saturday_night) == "karim"


def test_daily_night_restriction_crosses_midnight() -> None:
    nights = {**WEEKDAYS, "id": "nuits", "restrictions": [{"start": "20:00", "end": "08:00"}]}
    oncall = settings(nights)
    assert who(oncall, paris(2026, 11, 17, 19, 59)) is None
    assert who(oncall, paris(2026, 11, 17, 20, 0)) == "karim"
    assert who(oncall, paris(2026, 11, 18, 7, 59)) == "karim"
    assert who(oncall, paris(2026, 11, 18, 8, 0)) is None


def test_override_comes_first_and_the_last_listed_wins() -> None:
    swap = {
        "start": "2026-11-21T00:00",
        "end": "2026-11-22T00:00",
        "person": "camille",
        "reason": "échange avec Léa",
    }
    later = {
        "start": "2026-11-21T21:00:00+00:00",
        "end": "2026-11-21T23:00:00+00:00",
        "person": "sophie",
    }
    oncall = settings(WEEKEND, WEEKDAYS, overrides=[swap, later])
    assert who(oncall, paris(2026, 11, 21, 0, 0)) == "camille"  # naive: Paris wall clock
    assert who(oncall, paris(2026, 11, 20, 23, 59)) == "lea"
    assert who(oncall, paris(2026, 11, 21, 22, 0)) == "sophie"
    found = coverage(oncall, "astreinte", paris(2026, 11, 21, 12, 0))
    assert found is not None and found.is_override and found.override_reason == "échange avec Léa"
    assert who(oncall, paris(2026, 11, 22, 0, 0)) == "lea"


def test_on_call_builds_recipients_from_people() -> None:
    oncall = settings(WEEKDAYS)
    assert on_call(oncall, "astreinte", paris(2026, 11, 16, 10, 0)) == (
        Recipient("camille", "Camille Roux", "camille@horizon.fr", "+33600000001", None),
    )


def test_recipients_resolve_schedules_keep_people_and_deduplicate() -> None:
    oncall = settings(WEEKDAYS)
    at = paris(2026, 11, 17, 10, 0)  # karim on duty
    found = recipients(oncall, ["sophie", "astreinte", "karim", "sophie"], at)
    assert [r.id for r in found] == ["sophie", "karim"]
    assert found[1].chat == "U024BE7LH"
    with pytest.raises(KeyError, match="nobody"):
        recipients(oncall, ["nobody"], at)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        on_call(settings(WEEKDAYS), "astreinte", datetime(2026, 11, 16, 10, 0))


def test_timeline_tiles_the_week_and_marks_overrides() -> None:
    swap = {"start": "2026-11-21T10:00", "end": "2026-11-21T14:00", "person": "sophie"}
    oncall = settings(WEEKEND, WEEKDAYS, overrides=[swap])
    start, end = paris(2026, 11, 16, 0, 0), paris(2026, 11, 23, 0, 0)
    slots = timeline(oncall, "astreinte", start, end)
    assert slots[0].start == start and slots[-1].end == end
    assert all(a.end == b.start and a.coverage != b.coverage for a, b in itertools.pairwise(slots))
    described = [
        (
            s.start.astimezone(PARIS).strftime("%a %H:%M"),
            s.coverage and s.coverage.person,
            s.coverage and s.coverage.is_override,
        )
        for s in slots
    ]
    assert described == [
        ("Mon 00:00", "karim", False),  # the weekend of the 13th, until Monday 08:00
        ("Mon 08:00", None, None),  # the weekday layer starts at 09:00 that Monday
        ("Mon 09:00", "camille", False),
        ("Tue 09:00", "karim", False),
        ("Wed 09:00", "camille", False),
        ("Thu 09:00", "karim", False),
        ("Fri 09:00", "camille", False),
        ("Fri 19:00", "lea", False),
        ("Sat 10:00", "sophie", True),
        ("Sat 14:00", "lea", False),
    ]


def test_timeline_before_any_layer_starts_is_one_empty_slot() -> None:
    oncall = settings(WEEKDAYS)
    slots = timeline(oncall, "astreinte", paris(2026, 11, 1, 0, 0), paris(2026, 11, 2, 0, 0))
    assert [(s.start, s.end, s.coverage) for s in slots] == [
        (paris(2026, 11, 1, 0, 0).astimezone(UTC), paris(2026, 11, 2, 0, 0).astimezone(UTC), None)
    ]
    assert timeline(
        oncall,
        "astreinte",
        paris(2026, 11, 16, 0, 0),
        paris(2026, 11, 16, 0, 0) + timedelta(hours=10),
    )[1].start == paris(2026, 11, 16, 9, 0)
