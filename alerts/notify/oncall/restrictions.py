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
    return any(
        start <= at < end
        for restriction in restrictions
        for start, end in _windows_opening(restriction, zone, day - timedelta(days=7), day)
    )


def windows_between(
    restrictions: Sequence[RestrictionSettings], zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[Window]:
    """Every window that overlaps [start, end) (clipped to it), in no particular order."""
    first = wall_clock(start, zone).date() - timedelta(days=7)
    last = wall_clock(end, zone).date()
    for restriction in restrictions:
        for opens, closes in _windows_opening(restriction, zone, first, last):
            if opens < end and closes > start:
                yield max(opens, start), min(closes, end)


def _windows_opening(
    restriction: RestrictionSettings, zone: ZoneInfo, first: date, last: date
) -> Iterator[Window]:
    """The windows that open on a local date in [first, last]."""
    (start_day, start_minute), (end_day, end_minute) = restriction.window
    if start_day is None:  # daily
        length = (end_minute - start_minute) % (24 * 60) or 24 * 60
    else:
        assert end_day is not None
        week = 7 * 24 * 60
        length = ((end_day * 1440 + end_minute) - (start_day * 1440 + start_minute)) % week
        length = length or week
    day = first
    while day <= last:
        if start_day is None or day.weekday() == start_day:
            opens = datetime.combine(day, datetime.min.time()) + timedelta(minutes=start_minute)
            closes = opens + timedelta(minutes=length)
            yield instant(opens, zone), instant(closes, zone)
        day += timedelta(days=1)
