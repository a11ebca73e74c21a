"""Quiet hours: when a notification below `critical` may go out (tenant's local time, or
the zone the quiet hours name).

The quiet hours' edges are wall-clock times in their zone and follow the one daylight-saving
rule of the on-call schedules (alerts/notify/oncall/wallclock.py): an edge happens the first
time the zone's clock reads that time or later. So on the spring-forward night a 22:00–07:00
night is an hour shorter in UTC and on the autumn night an hour longer, an end that falls in
the skipped hour (02:30 in Paris) ends the quiet hours at the jump (03:00 CEST), and an end
in the repeated hour ends them at its first reading — never later than a notification due
after it that the local clock already lets through.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.notify.oncall.wallclock import instant, wall_clock
from schemas.config import QuietHoursSettings


def _quiet(start: time, end: time, local: time) -> bool:
    if start < end:
        return start <= local < end
    return local >= start or local < end  # crosses midnight


def release_at(hours: QuietHoursSettings, due: datetime, tenant_zone: str) -> datetime:
    """`due` itself outside the quiet hours; inside, the instant they end (see the module).
    The hours are in their own `timezone`, else in the tenant's (`tenant_zone`)."""
    zone = ZoneInfo(hours.timezone or tenant_zone)
    local = wall_clock(due, zone)
    if not _quiet(hours.start, hours.end, local.time()):
        return due
    day = local.date() if local.time() < hours.end else local.date() + timedelta(days=1)
    end = instant(datetime.combine(day, hours.end), zone)
    return max(end, due).astimezone(due.tzinfo)
