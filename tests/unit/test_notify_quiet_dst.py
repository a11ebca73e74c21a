"""Quiet hours across a daylight-saving change, pure, on an injected clock: a `warning` for a
Paris tenant (quiet 22:00–07:00) is held until 07:00 local time — 05:00 UTC after the
spring-forward night of the last Sunday of March 2027, 06:00 UTC after the autumn night with
its repeated hour — whenever in the night it falls due, while a `critical` pages at once."""

from datetime import UTC, datetime, time, timedelta

import pytest

from alerts.notify.plan import plan_route, plan_severity_change
from alerts.notify.quiet_hours import release_at
from schemas.config import NotifySettings, QuietHoursSettings, RouteSettings
from tests.unit.test_notify_logic import incident, tenant, thread

NIGHT = QuietHoursSettings(start=time(22), end=time(7), timezone="Europe/Paris")
CHAT = RouteSettings(tenant="a", channels=["chat"], quiet_hours=NIGHT)
NOW = NotifySettings(group_wait_s=0)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def planned(severity: str, now: datetime) -> datetime:
    """When the chat notification of an incident seen at `now` is due."""
    inc = incident(severity).model_copy(update={"opened_at": now, "updated_at": now})
    [record] = plan_route(thread(inc), 0, CHAT, tenant("a"), NOW, now)
    return record.due_at


# Sunday 2027-03-28: Paris jumps from 02:00 CET to 03:00 CEST at 01:00 UTC.
SPRING_END = utc(2027, 3, 28, 5, 0)  # 07:00 CEST
# Sunday 2027-10-31: Paris goes back from 03:00 CEST to 02:00 CET at 01:00 UTC.
AUTUMN_END = utc(2027, 10, 31, 6, 0)  # 07:00 CET


@pytest.mark.parametrize(
    ("now", "released"),
    [
        (utc(2027, 3, 27, 20, 59), utc(2027, 3, 27, 20, 59)),  # 21:59 CET: not yet quiet
        (utc(2027, 3, 27, 21, 0), SPRING_END),  # 22:00 CET: quiet from here
        (utc(2027, 3, 28, 0, 59), SPRING_END),  # 01:59 CET, just before the jump
        (utc(2027, 3, 28, 1, 0), SPRING_END),  # 03:00 CEST, the jump
        (utc(2027, 3, 28, 4, 59), SPRING_END),  # 06:59 CEST
        (SPRING_END, SPRING_END),  # 07:00 CEST: out at once
        (utc(2027, 10, 30, 19, 59), utc(2027, 10, 30, 19, 59)),  # 21:59 CEST
        (utc(2027, 10, 30, 20, 0), AUTUMN_END),  # 22:00 CEST
        (utc(2027, 10, 31, 0, 30), AUTUMN_END),  # 02:30 CEST, the first time
        (utc(2027, 10, 31, 1, 30), AUTUMN_END),  # 02:30 CET, the repeated hour
        (utc(2027, 10, 31, 5, 59), AUTUMN_END),  # 06:59 CET
        (AUTUMN_END, AUTUMN_END),  # 07:00 CET
    ],
)
def test_a_warning_waits_for_seven_local_time_a_critical_pages_now(
    now: datetime, released: datetime
) -> None:
    assert planned("warning", now) == released
    assert planned("critical", now) == now


def test_the_nights_are_an_hour_shorter_and_an_hour_longer_in_utc() -> None:
    assert SPRING_END - utc(2027, 3, 27, 21, 0) == timedelta(hours=8)
    assert AUTUMN_END - utc(2027, 10, 30, 20, 0) == timedelta(hours=10)
    minute = timedelta(minutes=1)
    for start, end in ((utc(2027, 3, 27, 21), SPRING_END), (utc(2027, 10, 30, 20), AUTUMN_END)):
        due = start
        while due < end:  # every minute of the night is held to the same instant
            assert release_at(NIGHT, due, "UTC") == end, due  # the hours name their zone
            due += minute


def test_an_end_in_the_skipped_hour_releases_at_the_jump_not_after_it() -> None:
    """Quiet until 02:30, a time Paris never shows on the spring night: the quiet hours end
    at the jump (03:00 CEST, 01:00 UTC). A warning due before the jump is not held past one
    due after it, which the local clock (03:10) already lets through."""
    early = QuietHoursSettings(start=time(22), end=time(2, 30), timezone="Europe/Paris")
    before_jump, after_jump = utc(2027, 3, 28, 0, 50), utc(2027, 3, 28, 1, 10)
    assert release_at(early, after_jump, "UTC") == after_jump
    assert release_at(early, before_jump, "UTC") == utc(2027, 3, 28, 1, 0)
    # Autumn: quiet until 02:30 ends at the first 02:30 (CEST); the repeated 02:10 is not quiet.
    assert release_at(early, utc(2027, 10, 31, 0, 10), "UTC") == utc(2027, 10, 31, 0, 30)
    assert release_at(early, utc(2027, 10, 31, 1, 10), "UTC") == utc(2027, 10, 31, 1, 10)


def test_a_worse_severity_in_the_night_waits_unless_critical() -> None:
    """A warning thread on the quiet chat route grows worse at 03:30 CEST on the spring
    night: `major` is told at 07:00 CEST (05:00 UTC), `critical` at once."""
    night = utc(2027, 3, 28, 1, 30)
    for severity, due in (("major", SPRING_END), ("critical", night)):
        worse = incident(severity).model_copy(update={"opened_at": night, "updated_at": night})
        paged = thread(worse).model_copy(update={"channels": ["chat"], "routes": [0]})
        [told] = plan_severity_change(paged, [CHAT], "warning", night, {}, "Europe/Paris")
        assert told.due_at == due
        assert ("heures calmes" in told.note) is (severity == "major")
