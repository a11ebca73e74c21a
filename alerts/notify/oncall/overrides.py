"""Overrides ("swap for next Saturday"): a person covers a schedule over [start, end),
before every layer. Offset-less times are wall-clock times of the schedule's zone
(`wallclock.instant`); where overrides overlap, the one listed last wins."""

from collections.abc import Iterator
from datetime import UTC, datetime

from alerts.notify.oncall.wallclock import instant
from schemas.config import OverrideSettings, ScheduleSettings


def bounds(override: OverrideSettings, schedule: ScheduleSettings) -> tuple[datetime, datetime]:
    """The override's [start, end) as UTC instants."""
    return _instant(override.start, schedule), _instant(override.end, schedule)


def override_at(schedule: ScheduleSettings, at: datetime) -> OverrideSettings | None:
    """The override covering `at`, if any (the last listed where several do)."""
    for override in reversed(schedule.overrides):
        start, end = bounds(override, schedule)
        if start <= at < end:
            return override
    return None


def edges_between(schedule: ScheduleSettings, start: datetime, end: datetime) -> Iterator[datetime]:
    """Where an override starts or ends inside [start, end)."""
    for override in schedule.overrides:
        for edge in bounds(override, schedule):
            if start <= edge < end:
                yield edge


def _instant(moment: datetime, schedule: ScheduleSettings) -> datetime:
    if moment.tzinfo is None:
        return instant(moment, schedule.zone)
    return moment.astimezone(UTC)
