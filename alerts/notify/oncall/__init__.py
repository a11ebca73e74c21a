"""On-call schedules and escalation policies: pure functions of a tenant's
`OnCallSettings` and an injected aware instant (nothing here reads the clock).

- `on_call(oncall, schedule_id, at)`: who covers a schedule at `at`: an override first,
  then the highest-precedence layer (the first listed) with someone on duty inside its
  restrictions (`schedule`).
- `recipients(oncall, targets, at)`: schedule ids resolved at `at`, person ids as they are,
  de-duplicated, order kept.
- `escalation_steps(oncall, policy_id)`: the plan of an escalation policy (`escalation`).
- `timeline`, `export_ical`: the resolved schedule over a range, and as iCalendar;
  `check_calendars`: every iCalendar layer maps each event to a person (`ical`).

Daylight saving (`wallclock`): handoffs, restriction edges and offset-less overrides are
wall-clock times of the schedule's IANA zone (Europe/Paris by default), and each happens
the first time that clock reads it: a 02:30 handoff on the spring-forward night happens at
the jump (03:00 local), one on the autumn night at the first 02:30, and 30-minute shifts
(Australia/Lord_Howe) follow the same rule. Shifts therefore tile time: no gap, no overlap,
no hour lost (the shift over the night is an hour, or 30 minutes, shorter or longer).
"""

from alerts.notify.oncall.escalation import EscalationStep, escalation_steps
from alerts.notify.oncall.export import export_ical
from alerts.notify.oncall.ical import CalendarError, check_calendar
from alerts.notify.oncall.schedule import Coverage, Slot, coverage, on_call, recipients, timeline
from schemas.config import OnCallSettings


def check_calendars(oncall: OnCallSettings) -> int:
    """Reads every iCalendar layer and maps each of its events to a person; raises
    CalendarError naming the file and the event otherwise. The number of events read."""
    return sum(
        check_calendar(layer, oncall.people, schedule.zone)
        for schedule in oncall.schedules
        for layer in schedule.layers
        if layer.ical is not None
    )


__all__ = [
    "CalendarError",
    "Coverage",
    "EscalationStep",
    "Slot",
    "check_calendars",
    "coverage",
    "escalation_steps",
    "export_ical",
    "on_call",
    "recipients",
    "timeline",
]
