"""Who is on call for a tenant: people, schedules (layers of rotations, restrictions,
overrides) and escalation policies. Resolved by `alerts/notify/oncall/` (the daylight-saving
rules are stated there); every reference is checked here, at load.

A schedule's layers are listed by precedence: the first layer with someone on duty at an
instant wins; an override covering the instant comes before every layer. Restriction and
override times are wall-clock times in the schedule's `time_zone`.
"""

import re
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from schemas.config.base import SettingsModel, Slug, require_unique

WEEKDAYS = {
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{d: i for i, d in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
}
_WALL_TIME = re.compile(r"^(?:(?P<day>[a-z]{3})\s+)?(?P<h>\d{1,2}):(?P<m>\d{2})$")


class PersonSettings(SettingsModel):
    id: Slug
    name: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    chat: str | None = Field(default=None, description="chat handle or room (Slack user id, …)")


@lru_cache(maxsize=4096)
def parse_wall_time(text: str) -> tuple[int | None, int]:
    """'20:00' (every day) or 'fri 19:00' / 'ven 19:00' (one weekday) → (weekday, 0 =
    Monday, or None; minute of the day)."""
    match = _WALL_TIME.match(text.strip().lower())
    if not match or int(match["h"]) > 23 or int(match["m"]) > 59:
        raise ValueError(f"{text!r}: expected 'HH:MM' or 'DAY HH:MM' (mon…sun or lun…dim)")
    day = match["day"]
    if day is not None and day not in WEEKDAYS:
        raise ValueError(f"{text!r}: unknown weekday {day!r} (mon…sun or lun…dim)")
    return (None if day is None else WEEKDAYS[day]), int(match["h"]) * 60 + int(match["m"])


class RestrictionSettings(SettingsModel):
    """A window of local wall-clock time when a layer is on duty. Daily: `start: "20:00",
    end: "08:00"` (nights; an end not after the start is on the next day, equal = all day).
    Weekly: `start: "fri 19:00", end: "mon 08:00"` (weekends; equal = the whole week)."""

    start: str
    end: str

    @model_validator(mode="after")
    def _same_kind(self) -> "RestrictionSettings":
        start, end = parse_wall_time(self.start), parse_wall_time(self.end)
        if (start[0] is None) != (end[0] is None):
            raise ValueError(
                f"restriction {self.start!r} → {self.end!r}: give a weekday on both ends "
                "(weekly window) or on neither (daily window)"
            )
        return self

    @property
    def window(self) -> tuple[tuple[int | None, int], tuple[int | None, int]]:
        return parse_wall_time(self.start), parse_wall_time(self.end)


class LayerSettings(SettingsModel):
    """One rotation of a schedule: `members` take turns, one shift each, from `start` (the
    local date of the first handoff, to the first member) at the local time `handoff`;
    a shift lasts one day, one week, or `length_hours` of wall-clock time (custom).
    Or, with `ical`, the shifts are the events of an iCalendar file (PagerDuty, Opsgenie,
    Google Calendar exports); see alerts/notify/oncall/ical.py for how an event names a person.
    """

    id: Slug
    members: list[str] = Field(default_factory=list, description="person ids, in turn order")
    length: Literal["daily", "weekly", "custom"] = "weekly"
    length_hours: Annotated[int, Field(ge=1, le=24 * 366)] | None = None
    handoff: time = time(9, 0)
    start: date | None = None
    ical: Path | None = None
    restrictions: list[RestrictionSettings] = Field(
        default_factory=list, description="on duty only inside these windows (none: always)"
    )

    @model_validator(mode="after")
    def _one_source(self) -> "LayerSettings":
        if self.ical is not None:
            if self.members or self.start is not None:
                raise ValueError(f"layer {self.id!r}: give either ical or members and start")
            if not self.ical.is_file():
                raise ValueError(f"layer {self.id!r}: ical file {str(self.ical)!r} not found")
            return self
        if not self.members or self.start is None:
            raise ValueError(f"layer {self.id!r}: needs members and start (or an ical file)")
        if (self.length == "custom") != (self.length_hours is not None):
            raise ValueError(f"layer {self.id!r}: length_hours goes with length: custom only")
        return self

    @property
    def shift_hours(self) -> int:
        """A shift's length in wall-clock hours."""
        return {"daily": 24, "weekly": 168}.get(self.length) or self.length_hours or 0


class OverrideSettings(SettingsModel):
    """`person` covers the schedule from `start` to `end` ("swap for next Saturday"). Times
    without an offset are wall-clock times in the schedule's zone. When overrides overlap,
    the one listed last wins."""

    start: datetime
    end: datetime
    person: str
    reason: str = ""


class ScheduleSettings(SettingsModel):
    id: Slug
    name: str = ""
    time_zone: str = "Europe/Paris"
    layers: list[LayerSettings] = Field(min_length=1, description="first = highest precedence")
    overrides: list[OverrideSettings] = Field(default_factory=list)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _checks(self) -> "ScheduleSettings":
        require_unique([layer.id for layer in self.layers], f"layer id in schedule {self.id!r}")
        for override in self.overrides:
            if (override.start.tzinfo is None) != (override.end.tzinfo is None):
                raise ValueError(
                    f"schedule {self.id!r}: override {override.start} → {override.end}: "
                    "give an offset on both ends or on neither"
                )
            if override.end <= override.start:
                raise ValueError(
                    f"schedule {self.id!r}: override {override.start} → {override.end} "
                    "ends before it starts"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class EscalationLevelSettings(SettingsModel):
    targets: list[str] = Field(min_length=1, description="schedule ids or person ids")
    delay_minutes: Annotated[int, Field(ge=1)] = 15
    """How long this level has to acknowledge before the next level (or the next round)."""
    notify_previous: bool = False
    """True: the earlier levels' targets are notified again with this level."""


class EscalationPolicySettings(SettingsModel):
    """Level 1 is notified; without an acknowledgement after its delay, level 2; …; after
    the last level, the whole policy again, `repeat` more times."""

    id: Slug
    levels: list[EscalationLevelSettings] = Field(min_length=1)
    repeat: Annotated[int, Field(ge=0, le=10)] = 0


class OnCallSettings(SettingsModel):
    """A tenant's on-call: every person, schedule and escalation target is checked at load,
    and an unknown one is named."""

    people: list[PersonSettings] = Field(default_factory=list)
    schedules: list[ScheduleSettings] = Field(default_factory=list)
    escalation_policies: list[EscalationPolicySettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> "OnCallSettings":
        people = [p.id for p in self.people]
        schedules = [s.id for s in self.schedules]
        require_unique(people, "person id")
        require_unique(schedules, "schedule id")
        require_unique([p.id for p in self.escalation_policies], "escalation policy id")
        both = set(people) & set(schedules)
        if both:
            raise ValueError(f"{sorted(both)[0]!r} is both a person id and a schedule id")
        for schedule in self.schedules:
            for layer in schedule.layers:
                for member in layer.members:
                    if member not in people:
                        raise ValueError(
                            f"schedule {schedule.id!r}, layer {layer.id!r} names unknown "
                            f"person {member!r}"
                        )
            for override in schedule.overrides:
                if override.person not in people:
                    raise ValueError(
                        f"schedule {schedule.id!r}: override names unknown person "
                        f"{override.person!r}"
                    )
        for policy in self.escalation_policies:
            for number, level in enumerate(policy.levels, start=1):
                for target in level.targets:
                    if target not in people and target not in schedules:
                        raise ValueError(
                            f"escalation policy {policy.id!r}, level {number} names unknown "
                            f"target {target!r} (neither a person nor a schedule)"
                        )
        return self

    def person(self, person_id: str) -> PersonSettings:
        return next(p for p in self.people if p.id == person_id)

    def schedule(self, schedule_id: str) -> ScheduleSettings:
        for schedule in self.schedules:
            if schedule.id == schedule_id:
                return schedule
        raise KeyError(f"unknown schedule {schedule_id!r}")

    def policy(self, policy_id: str) -> EscalationPolicySettings:
        for policy in self.escalation_policies:
            if policy.id == policy_id:
                return policy
        raise KeyError(f"unknown escalation policy {policy_id!r}")
