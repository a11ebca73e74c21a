"""iCalendar layers: a real-shaped export (VTIMEZONE, TZID, weekly RRULE, EXDATE, attendee
and summary naming people) imported as shifts; the resolved schedule exported and imported
back with the same coverage."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from alerts.notify.oncall import CalendarError, check_calendars, export_ical, on_call, timeline
from schemas.config import OnCallSettings

PARIS = ZoneInfo("Europe/Paris")
PEOPLE = [
    {"id": "camille", "name": "Camille Roux"},
    {"id": "karim", "name": "Karim Benali", "email": "Karim.Benali@horizon.example"},
    {"id": "lea", "name": "Léa Martin", "email": "lea@horizon.example"},
]
# Shaped like a Google Calendar / PagerDuty export: a VTIMEZONE, TZID times, two fortnightly
# weekend series (one names its person by ATTENDEE, one by PagerDuty's SUMMARY), an EXDATE
# on the 20 November weekend, which a single Opsgenie-style event ("camille") covers instead.
ASTREINTE_ICS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
CALSCALE:GREGORIAN
X-WR-CALNAME:Astreinte week-end
X-WR-TIMEZONE:Europe/Paris
BEGIN:VTIMEZONE
TZID:Europe/Paris
X-LIC-LOCATION:Europe/Paris
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=Europe/Paris:20261009T190000
DTEND;TZID=Europe/Paris:20261012T080000
RRULE:FREQ=WEEKLY;INTERVAL=2
EXDATE;TZID=Europe/Paris:20261120T190000
DTSTAMP:20261001T120000Z
UID:3f1c9a2e-karim@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Karim
  Benali:mailto:karim.benali@horizon.example
SUMMARY:Astreinte week-end
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Paris:20261016T190000
DTEND;TZID=Europe/Paris:20261019T080000
RRULE:FREQ=WEEKLY;INTERVAL=2
DTSTAMP:20261001T120000Z
UID:Q2B8V1K0ZJ3LLP@pagerduty.com
SUMMARY:On Call - Léa Martin - Astreinte Horizon
END:VEVENT
BEGIN:VEVENT
DTSTART:20261120T180000Z
DTEND:20261123T070000Z
DTSTAMP:20261101T120000Z
UID:alert-swap-1120@opsgenie.com
SUMMARY:camille
END:VEVENT
END:VCALENDAR
"""


def settings(*layers: dict[str, Any], people: list[dict[str, str]] = PEOPLE) -> OnCallSettings:
    schedule = {"id": "astreinte", "layers": list(layers)}
    return OnCallSettings.model_validate({"people": people, "schedules": [schedule]})


@pytest.fixture
def ics(tmp_path: Path) -> Path:
    path = tmp_path / "astreinte.ics"
    path.write_text(ASTREINTE_ICS.replace("\n", "\r\n"), encoding="utf-8")
    return path


def who(oncall: OnCallSettings, *when: int) -> str | None:
    found = on_call(oncall, "astreinte", datetime(*when, tzinfo=PARIS))  # type: ignore[misc]
    return found[0].id if found else None


def test_events_are_shifts_and_name_their_person(ics: Path) -> None:
    oncall = settings({"id": "importe", "ical": str(ics)})
    assert check_calendars(oncall) == 3
    assert who(oncall, 2026, 11, 7, 12, 0) == "karim"  # ATTENDEE e-mail, case-insensitive
    assert who(oncall, 2026, 11, 14, 12, 0) == "lea"  # PagerDuty summary names Léa Martin
    assert who(oncall, 2026, 11, 21, 22, 0) == "camille"  # EXDATE'd; the single event covers
    assert who(oncall, 2026, 11, 20, 18, 59) is None
    assert who(oncall, 2026, 11, 25, 12, 0) is None  # a weekday: nobody in this layer


def test_tzid_occurrences_keep_local_times_across_the_autumn_change(ics: Path) -> None:
    oncall = settings({"id": "importe", "ical": str(ics)})
    # Karim's weekend of 23 October spans the change to CET: it ends at 08:00 CET Monday.
    assert who(oncall, 2026, 10, 26, 7, 59) == "karim"
    assert who(oncall, 2026, 10, 26, 8, 0) is None
    assert on_call(oncall, "astreinte", datetime(2026, 10, 26, 6, 59, tzinfo=UTC))
    assert not on_call(oncall, "astreinte", datetime(2026, 10, 26, 7, 0, tzinfo=UTC))


def test_an_ical_layer_over_a_rotation(ics: Path) -> None:
    weekdays = {"id": "semaine", "members": ["camille", "karim"], "length": "daily",
                "start": "2026-11-02"}  # fmt: skip
    oncall = settings({"id": "importe", "ical": str(ics)}, weekdays)
    assert who(oncall, 2026, 11, 14, 12, 0) == "lea"
    assert who(oncall, 2026, 11, 16, 12, 0) == "camille"  # 14 days after the 2nd


def test_an_event_naming_nobody_is_an_error_naming_the_event(ics: Path, tmp_path: Path) -> None:
    strangers = tmp_path / "strangers.ics"
    strangers.write_text(ASTREINTE_ICS.replace("SUMMARY:camille", "SUMMARY:Zoé Dubois"))
    oncall = settings({"id": "importe", "ical": str(strangers)})
    with pytest.raises(CalendarError, match="event 'Zoé Dubois': names no known person"):
        check_calendars(oncall)
    with pytest.raises(CalendarError, match="Zoé Dubois"):
        who(oncall, 2026, 11, 21, 22, 0)
    twins = [*PEOPLE, {"id": "lea2", "name": "Léa"}]
    with pytest.raises(CalendarError, match="names several people"):
        check_calendars(settings({"id": "importe", "ical": str(ics)}, people=twins))


def test_the_exported_schedule_imports_back_with_the_same_coverage(tmp_path: Path) -> None:
    weekend = {"id": "week-end", "members": ["karim", "lea"], "length": "weekly",
               "handoff": "19:00", "start": "2026-10-09",
               "restrictions": [{"start": "fri 19:00", "end": "mon 08:00"}]}  # fmt: skip
    weekdays = {"id": "semaine", "members": ["camille", "karim"], "length": "daily",
                "handoff": "02:30", "start": "2026-10-12"}  # fmt: skip
    swap = {"start": "2026-10-31T10:00", "end": "2026-10-31T14:00", "person": "camille",
            "reason": "échange"}  # fmt: skip
    source = OnCallSettings.model_validate({"people": PEOPLE, "schedules": [
        {"id": "astreinte", "layers": [weekend, weekdays], "overrides": [swap]}]})  # fmt: skip
    start = datetime(2026, 10, 5, tzinfo=PARIS)
    end = start + timedelta(weeks=6)  # over the autumn change
    exported = export_ical(source, "astreinte", start, end, tenant="agence-horizon")
    assert exported == export_ical(source, "astreinte", start, end, tenant="agence-horizon")
    assert b"SUMMARY:Astreinte astreinte : Camille Roux" in exported
    assert b"DESCRIPTION:remplacement" in exported
    path = tmp_path / "export.ics"
    path.write_bytes(exported)
    imported = settings({"id": "importe", "ical": str(path)})

    def plain(oncall: OnCallSettings) -> list[tuple[datetime, datetime, str | None]]:
        """Who covers what, adjacent slots of one person merged (the layers are gone)."""
        merged: list[tuple[datetime, datetime, str | None]] = []
        for slot in timeline(oncall, "astreinte", start, end):
            person = slot.coverage and slot.coverage.person
            if merged and merged[-1][2] == person:
                merged[-1] = (merged[-1][0], slot.end, person)
            else:
                merged.append((slot.start, slot.end, person))
        return merged

    assert plain(imported) == plain(source)
    assert len(plain(source)) > 30  # weeks of handoffs, not a trivial calendar
