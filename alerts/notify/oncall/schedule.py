"""Schedule resolution: who covers a schedule at an instant, and over a range.

At an instant: an override covering it comes first; else the layers in their listed order
(first = highest precedence), and the first one with someone on duty inside its
restrictions wins; else nobody. Every time is an injected aware datetime: nothing here
reads the clock. Daylight-saving rules: `wallclock`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from alerts.notify.contract import Recipient
from alerts.notify.oncall import ical, overrides, restrictions, rotation
from schemas.config import LayerSettings, OnCallSettings, PersonSettings, ScheduleSettings


@dataclass(frozen=True)
class Coverage:
    """Who covers a schedule at an instant, and why."""

    person: str
    layer: str | None
    """The layer id that put them on duty; None for an override."""
    override_reason: str = ""

    @property
    def is_override(self) -> bool:
        return self.layer is None


@dataclass(frozen=True)
class Slot:
    """[start, end) covered by one person for one reason (None: nobody on call)."""

    start: datetime
    end: datetime
    coverage: Coverage | None


def coverage(oncall: OnCallSettings, schedule_id: str, at: datetime) -> Coverage | None:
    schedule = oncall.schedule(schedule_id)
    at = _aware(at)
    override = overrides.override_at(schedule, at)
    if override is not None:
        return Coverage(override.person, None, override.reason)
    for layer in schedule.layers:
        person = _layer_member(layer, oncall.people, schedule, at)
        if person is not None:
            return Coverage(person, layer.id)
    return None


def on_call(oncall: OnCallSettings, schedule_id: str, at: datetime) -> tuple[Recipient, ...]:
    """Who covers the schedule at `at` (aware): () when nobody does."""
    found = coverage(oncall, schedule_id, at)
    return () if found is None else (recipient(oncall.person(found.person)),)


def recipients(
    oncall: OnCallSettings, targets: Sequence[str], at: datetime
) -> tuple[Recipient, ...]:
    """Schedule ids resolved at `at`, person ids as they are; de-duplicated, order kept.
    An id that is neither raises KeyError (the settings checked the configured ones)."""
    schedules = {s.id for s in oncall.schedules}
    people = {p.id: p for p in oncall.people}
    found: dict[str, Recipient] = {}
    for target in targets:
        if target in schedules:
            for person in on_call(oncall, target, at):
                found.setdefault(person.id, person)
        elif target in people:
            found.setdefault(target, recipient(people[target]))
        else:
            raise KeyError(f"unknown on-call target {target!r} (neither a person nor a schedule)")
    return tuple(found.values())


def recipient(person: PersonSettings) -> Recipient:
    return Recipient(person.id, person.name, person.email, person.phone, person.chat)


def timeline(
    oncall: OnCallSettings, schedule_id: str, start: datetime, end: datetime
) -> tuple[Slot, ...]:
    """The resolved schedule over [start, end): consecutive slots, each as long as one
    person covers it for one reason; they tile the range with no gap and no overlap."""
    schedule = oncall.schedule(schedule_id)
    start, end = _aware(start), _aware(end)
    edges = {start, end, *overrides.edges_between(schedule, start, end)}
    for layer in schedule.layers:
        edges.update(_layer_edges(layer, oncall.people, schedule, start, end))
    ordered = sorted(e for e in edges if start <= e <= end)
    slots: list[Slot] = []
    for left, right in pairwise(ordered):
        covered = coverage(oncall, schedule_id, left)
        if slots and slots[-1].coverage == covered:
            slots[-1] = Slot(slots[-1].start, right, covered)
        else:
            slots.append(Slot(left, right, covered))
    return tuple(slots)


def _layer_member(
    layer: LayerSettings, people: list[PersonSettings], schedule: ScheduleSettings, at: datetime
) -> str | None:
    zone = schedule.zone
    if not restrictions.allows(layer.restrictions, zone, at):
        return None
    if layer.ical is not None:
        return ical.member_at(layer, people, zone, at)
    return rotation.member_at(layer, zone, at)


def _layer_edges(
    layer: LayerSettings,
    people: list[PersonSettings],
    schedule: ScheduleSettings,
    start: datetime,
    end: datetime,
) -> set[datetime]:
    zone = schedule.zone
    windows = restrictions.windows_between(layer.restrictions, zone, start, end)
    edges = {edge for window in windows for edge in window}
    if layer.ical is not None:
        shifts = ical.shifts_between(layer, people, zone, start, end)
        edges.update(e for s in shifts for e in (s.start, s.end))
    else:
        edges.update(rotation.handoffs_between(layer, zone, start, end))
    return edges


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()}: an aware datetime is needed (with an offset)")
    return at.astimezone(UTC)
