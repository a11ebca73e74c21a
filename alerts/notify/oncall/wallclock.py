"""Wall-clock times of a schedule's zone → instants: the one daylight-saving rule.

Every handoff, restriction edge and offset-less override end is a local wall-clock time in
the schedule's IANA zone, and it happens **the first time that zone's clock reads that
time or later**:
- in the spring-forward gap (02:30 on the night Paris jumps from 02:00 to 03:00), a time
  that never shows on the clock happens at the jump itself (03:00 CEST = 01:00 UTC);
- in the autumn repeated hour (02:30 shows twice), it happens at the first 02:30 (CEST);
- the same holds for zones that shift by 30 minutes (Australia/Lord_Howe, +10:30 ↔ +11:00).
This mapping never decreases (a later wall time never maps to an earlier instant), so the
shifts of a rotation, cut at their handoffs, tile time with no gap and no overlap: a shift
that spans the spring night lasts an hour less, one that spans the autumn night an hour
more, and no instant is covered twice or left out.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which `zone`'s clock reads the naive `wall` or later."""
    utc = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """`wall` never shows on the clock: the instant the clock jumps past it (found to the
    second; offsets change on whole seconds)."""
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # clock still before the jump
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # clock already past it
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


def wall_clock(at: datetime, zone: ZoneInfo) -> datetime:
    """What `zone`'s clock reads at the aware instant `at` (naive)."""
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()}: an aware datetime is needed (with an offset)")
    return at.astimezone(zone).replace(tzinfo=None)
