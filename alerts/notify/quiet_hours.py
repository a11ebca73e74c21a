"""Quiet hours: when a notification below `critical` may go out (tenant's local time)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from schemas.config import QuietHoursSettings


def _quiet(start: time, end: time, local: time) -> bool:
    if start < end:
        return start <= local < end
    return local >= start or local < end  # crosses midnight


def release_at(hours: QuietHoursSettings, due: datetime) -> datetime:
    """`due` itself outside the quiet hours; inside, the next instant the zone's clock reads
    `end` (a daylight-saving change in between moves the instant, not the local time)."""
    zone = ZoneInfo(hours.timezone)
    local = due.astimezone(zone)
    if not _quiet(hours.start, hours.end, local.time()):
        return due
    day = local.date() if local.time() < hours.end else local.date() + timedelta(days=1)
    wall = datetime.combine(day, hours.end, tzinfo=zone)
    return wall.astimezone(due.tzinfo) if wall > due else due
