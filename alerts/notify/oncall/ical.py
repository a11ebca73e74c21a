"""A schedule layer imported from an iCalendar file (PagerDuty, Opsgenie and Google
Calendar export their schedules as .ics): each event, and each occurrence of a recurring
one (RRULE, RDATE, EXDATE, TZID: expanded by `recurring-ical-events`), is one shift.

How an event names its person, first rule that matches:
1. an ATTENDEE `mailto:` address equal to a person's `email` (case-insensitive);
2. a SUMMARY equal to a person's id or name (case-insensitive, trimmed), Opsgenie's shape;
3. a SUMMARY containing exactly one person's name, e.g. PagerDuty's
   "On Call - Léa Martin - Astreinte".
An event no rule maps, or that rule 3 finds ambiguous, is a `CalendarError` naming the file
and the event. Times keep the instants the file gives (UTC, TZID or VTIMEZONE, as RFC 5545
reads them); floating times and all-day dates are wall-clock times of the schedule's zone.
Where shifts overlap, the one that started last is on duty.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from alerts.notify.oncall.wallclock import instant
from schemas.config import LayerSettings, PersonSettings


class CalendarError(ValueError):
    """An iCalendar layer cannot be used; the message names the file and the event."""


@dataclass(frozen=True)
class CalendarShift:
    start: datetime
    end: datetime
    person: str


def member_at(
    layer: LayerSettings, people: list[PersonSettings], zone: ZoneInfo, at: datetime
) -> str | None:
    """The person id on duty at `at` in the calendar, or None."""
    covering = [
        s
        for s in shifts_between(layer, people, zone, at, at + timedelta(seconds=1))
        if s.start <= at < s.end
    ]
    return max(covering, key=lambda s: s.start).person if covering else None


def shifts_between(
    layer: LayerSettings,
    people: list[PersonSettings],
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
) -> list[CalendarShift]:
    """The calendar's shifts that overlap [start, end), in the file's order."""
    path = _path(layer)
    calendar = _calendar(path)
    events = recurring_ical_events.of(calendar).between(start, end)
    return [_shift(path, event, people, zone) for event in events]


def check_calendar(layer: LayerSettings, people: list[PersonSettings], zone: ZoneInfo) -> int:
    """Maps every event of the file to a person (CalendarError otherwise); the event count."""
    path = _path(layer)
    events = _calendar(path).events
    for event in events:
        _shift(path, event, people, zone)
    return len(events)


def _path(layer: LayerSettings) -> Path:
    if layer.ical is None:
        raise ValueError(f"layer {layer.id!r} has no ical file")
    return layer.ical


def _calendar(path: Path) -> icalendar.Calendar:
    try:
        stat = path.stat()
    except OSError as exc:
        raise CalendarError(f"{path}: cannot read: {exc.strerror}") from None
    return _parse(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _parse(path: Path, mtime_ns: int, size: int) -> icalendar.Calendar:
    """Parsed once per version of the file (its modification time and size)."""
    try:
        return icalendar.Calendar.from_ical(path.read_bytes())
    except ValueError as exc:
        raise CalendarError(f"{path}: not a valid iCalendar file: {exc}") from None


def _shift(
    path: Path, event: icalendar.Event, people: list[PersonSettings], zone: ZoneInfo
) -> CalendarShift:
    summary = str(event.get("SUMMARY", "")).strip()
    where = f"{path}: event {summary or event.get('UID', '?')!r}"
    try:
        start, end = event.start, event.end
    except (KeyError, ValueError, icalendar.IncompleteComponent) as exc:
        raise CalendarError(f"{where}: no usable DTSTART/DTEND: {exc}") from None
    return CalendarShift(_utc(start, zone), _utc(end, zone), _person(where, event, people))


def _person(where: str, event: icalendar.Event, people: list[PersonSettings]) -> str:
    for attendee in event.attendees:
        address = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:").casefold()
        for person in people:
            if person.email and person.email.casefold() == address:
                return person.id
    summary = str(event.get("SUMMARY", "")).strip().casefold()
    for person in people:
        if summary in (person.id.casefold(), person.name.casefold()):
            return person.id
    named = [p.id for p in people if p.name.casefold() in summary]
    if len(named) == 1:
        return named[0]
    if named:
        raise CalendarError(f"{where}: names several people ({', '.join(named)})")
    raise CalendarError(
        f"{where}: names no known person (no attendee e-mail, id or name of oncall.people)"
    )


def _utc(moment: Any, zone: ZoneInfo) -> datetime:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            return instant(moment, zone)
        return moment.astimezone(UTC)
    if isinstance(moment, date):
        return instant(datetime.combine(moment, datetime.min.time()), zone)
    raise CalendarError(f"unexpected iCalendar time {moment!r}")
