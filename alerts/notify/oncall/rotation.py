"""A rotation layer's shifts: who is on duty at an instant, in O(1), and the handoffs in a
range.

Shift k (k = 0, 1, …) starts at the wall-clock time `start` + `handoff` + k × the shift
length (24 h, 168 h or `length_hours` of wall-clock time) in the schedule's zone, mapped to
an instant by `wallclock.instant`, and ends where shift k + 1 starts; member k mod n is on
duty. Before the first handoff the layer has nobody.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.notify.oncall.wallclock import instant, wall_clock
from schemas.config import LayerSettings


def handoff(layer: LayerSettings, zone: ZoneInfo, k: int) -> datetime:
    """The instant shift k starts."""
    return instant(_origin(layer) + timedelta(hours=k * layer.shift_hours), zone)


def shift_index(layer: LayerSettings, zone: ZoneInfo, at: datetime) -> int | None:
    """The shift covering `at`, or None before the first handoff."""
    elapsed = wall_clock(at, zone) - _origin(layer)
    k = elapsed // timedelta(hours=layer.shift_hours)
    # The wall clock repeats an hour in autumn and skips one in spring: step to the shift
    # whose handoffs (first time the clock reads them) bracket the instant.
    while handoff(layer, zone, k + 1) <= at:
        k += 1
    while k >= 0 and handoff(layer, zone, k) > at:
        k -= 1
    return k if k >= 0 else None


def member_at(layer: LayerSettings, zone: ZoneInfo, at: datetime) -> str | None:
    """The person id on duty at `at` (restrictions not applied)."""
    k = shift_index(layer, zone, at)
    return None if k is None else layer.members[k % len(layer.members)]


def handoffs_between(
    layer: LayerSettings, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    """The handoff instants in [start, end), in order."""
    k = shift_index(layer, zone, start)
    k = 0 if k is None else k + 1
    while (moment := handoff(layer, zone, k)) < end:
        if moment >= start:
            yield moment
        k += 1


def _origin(layer: LayerSettings) -> datetime:
    if layer.start is None:
        raise ValueError(f"layer {layer.id!r} is not a rotation")
    return datetime.combine(layer.start, layer.handoff)
