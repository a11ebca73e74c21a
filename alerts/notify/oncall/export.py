"""The final resolved schedule over a range as an iCalendar file: one event per slot
(overrides and restrictions applied, nobody-on-call slots left out), in UTC, the person as
SUMMARY "Astreinte <schedule> : <name>" and as ATTENDEE (their e-mail), so the file
imports back as a layer (`ical`) with the same coverage."""

from datetime import UTC, datetime

import icalendar

from alerts.notify.oncall.schedule import timeline
from schemas.config import OnCallSettings


def export_ical(
    oncall: OnCallSettings, schedule_id: str, start: datetime, end: datetime, tenant: str
) -> bytes:
    schedule = oncall.schedule(schedule_id)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//veille//oncall//FR")
    calendar.add("VERSION", "2.0")
    calendar.add("X-WR-CALNAME", f"Astreinte {schedule.name or schedule.id}")
    for slot in timeline(oncall, schedule_id, start, end):
        if slot.coverage is None:
            continue
        person = oncall.person(slot.coverage.person)
        event = icalendar.Event()
        event.add("UID", f"{tenant}-{schedule.id}-{slot.start:%Y%m%dT%H%M%SZ}@veille")
        event.add("DTSTAMP", start.astimezone(UTC))  # deterministic: the range, not the clock
        event.add("DTSTART", slot.start.astimezone(UTC))
        event.add("DTEND", slot.end.astimezone(UTC))
        event.add("SUMMARY", f"Astreinte {schedule.id} : {person.name}")
        what = "remplacement" if slot.coverage.is_override else f"couche {slot.coverage.layer}"
        event.add("DESCRIPTION", f"{what} {slot.coverage.override_reason}".strip())
        if person.email:
            attendee = icalendar.vCalAddress(f"mailto:{person.email}")
            attendee.params["CN"] = icalendar.vText(person.name)
            event.add("ATTENDEE", attendee, encode=False)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
