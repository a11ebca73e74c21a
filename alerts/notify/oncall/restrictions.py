"""Restrictions: the windows of local wall-clock time when a layer is on duty ("nights",
"weekends"). A window opens and closes the first time the clock reads its start and its end
(`wallclock.instant`), so on a daylight-saving night it is an hour shorter or longer and
never opens twice. A layer without restrictions is always on duty; with several, inside
any of them.
"""

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.notify.oncall.wallclock import instant, wall_clock
from schemas.config import RestrictionSettings

Window = tuple[datetime, datetime]


def allows(restrictions: Sequence[RestrictionSettings], zone: ZoneInfo, at: datetime) -> bool:
    """True when `at` falls inside one of the windows (always, without restrictions)."""
    if not restrictions:
        return True
    day = wall_clock(at, zone).date()
    for restriction in restrictions:
        start_day = restriction.window[0][0]
        if start_day is None:  # daily, at most 24 h: opened today or yesterday
            latest = day
            previous = day - timedelta(days=1)
        else:  # weekly, at most 7 days: opened on the last start weekday or the one before
            latest = day - timedelta(days=(day.weekday() - start_day) % 7)
            previous = latest - timedelta(days=7)
        for opened in (latest, previous):
            start, end = _window(restriction, zone, opened)
            if start <= at < end:
                return True
    return False


def windows_between(
    restrictions: Sequence[RestrictionSettings], zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[Window]:
    """Every window that overlaps [start, end) (clipped to it), in no particular order."""
    first = wall_clock(start, zone).date() - timedelta(days=7)
    last = wall_clock(end, zone).date()
    for restriction in restrictions:
        start_day = restriction.window[0][0]
        day = first
        while day <= last:
            if start_day is None or day.weekday() == start_day:
                opens, closes = _window(restriction, zone, day)
                if opens < end and closes > start:
                    yield max(opens, start), min(closes, end)
            day += timedelta(days=1)


def _window(restriction: RestrictionSettings, zone: ZoneInfo, day: date) -> Window:
    """The window that opens on the local date `day`, as instants."""
    (start_day, start_minute), (end_day, end_minute) = restriction.window
    if start_day is None or end_day is None:  # daily
        length = (end_minute - start_minute) % (24 * 60) or 24 * 60
    else:
        week = 7 * 24 * 60
        length = ((end_day * 1440 + end_minute) - (start_day * 1440 + start_minute)) % week
        length = length or week
    opens = datetime.combine(day, datetime.min.time()) + timedelta(minutes=start_minute)
    return instant(opens, zone), instant(opens + timedelta(minutes=length), zone)
