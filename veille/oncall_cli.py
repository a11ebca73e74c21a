"""`veille oncall who | show | export`: a tenant's on-call, read from the configuration.

`--at TIME` is ISO 8601 (default: now); a TIME without an offset is read in each
schedule's own zone. `who` exits 1 when a schedule has nobody on call at that time.
"""

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.notify.oncall import (
    CalendarError,
    Slot,
    check_calendars,
    coverage,
    escalation_steps,
    export_ical,
    recipients,
    timeline,
)
from schemas.config import OnCallSettings, ScheduleSettings
from veille.settings import ConfigError, load_config

DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def _oncall(args: argparse.Namespace) -> OnCallSettings:
    config = load_config(args.config_path)
    tenants = {t.id: t for t in config.tenants}
    if args.tenant not in tenants:
        raise ConfigError(f"unknown tenant {args.tenant!r} (known: {', '.join(tenants)})")
    oncall = tenants[args.tenant].oncall
    try:
        check_calendars(oncall)
    except CalendarError as exc:
        raise ConfigError(f"tenant {args.tenant!r}: {exc}") from None
    if not oncall.schedules:
        raise ConfigError(f"tenant {args.tenant!r} has no on-call schedule (tenants[].oncall)")
    return oncall


def _at(args: argparse.Namespace, schedule: ScheduleSettings) -> datetime:
    if args.at is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(args.at)
    except ValueError:
        raise ConfigError(f"--at {args.at!r}: expected ISO 8601, e.g. 2026-11-21T22:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=schedule.zone)


def _local(moment: datetime, schedule: ScheduleSettings) -> str:
    local = moment.astimezone(schedule.zone)
    return f"{DAYS[local.weekday()]} {local:%d/%m/%Y %H:%M}"


def cmd_oncall_who(args: argparse.Namespace) -> int:
    oncall = _oncall(args)
    nobody = 0
    for schedule in oncall.schedules:
        at = _at(args, schedule)
        found = coverage(oncall, schedule.id, at)
        head = f"{schedule.id} ({schedule.time_zone}), {_local(at, schedule)} :"
        if found is None:
            nobody += 1
            print(f"{head} personne d'astreinte")
            continue
        person = oncall.person(found.person)
        why = f"remplacement {found.override_reason}".strip() if found.is_override else (
            f"couche {found.layer}"
        )  # fmt: skip
        reach = ", ".join(c for c in (person.email, person.phone, person.chat) if c)
        print(f"{head} {person.name} [{why}]" + (f" — {reach}" if reach else ""))
    for policy in oncall.escalation_policies:
        first = escalation_steps(oncall, policy.id)[0]
        at = _at(args, oncall.schedules[0])
        names = ", ".join(r.name for r in recipients(oncall, first.targets, at)) or "personne"
        print(f"escalade {policy.id} : niveau 1 → {names}")
    return 1 if nobody else 0


def cmd_oncall_show(args: argparse.Namespace) -> int:
    oncall = _oncall(args)
    for schedule in oncall.schedules:
        at = _at(args, schedule)
        if args.week:
            local = at.astimezone(schedule.zone)
            monday = (local - timedelta(days=local.weekday())).date()
            start = datetime.combine(monday, datetime.min.time(), tzinfo=schedule.zone)
            end = datetime.combine(monday + timedelta(days=7), datetime.min.time(),
                                   tzinfo=schedule.zone)  # fmt: skip
        else:
            start, end = at, at + timedelta(days=1)
        print(f"{schedule.id} ({schedule.time_zone}), {_local(start, schedule)} → "
              f"{_local(end, schedule)}")  # fmt: skip
        for slot in timeline(oncall, schedule.id, start, end):
            print("  " + _describe(slot, oncall, schedule))
    return 0


def _describe(slot: Slot, oncall: OnCallSettings, schedule: ScheduleSettings) -> str:
    span = f"{_local(slot.start, schedule)} → {_local(slot.end, schedule)}"
    if slot.coverage is None:
        return f"{span}  personne"
    name = oncall.person(slot.coverage.person).name
    if slot.coverage.is_override:
        return f"{span}  {name:<28} REMPLACEMENT {slot.coverage.override_reason}".rstrip()
    return f"{span}  {name:<28} couche {slot.coverage.layer}"


def cmd_oncall_export(args: argparse.Namespace) -> int:
    oncall = _oncall(args)
    try:
        schedule = oncall.schedule(args.schedule)
    except KeyError:
        known = ", ".join(s.id for s in oncall.schedules)
        raise ConfigError(f"unknown schedule {args.schedule!r} (known: {known})") from None
    start = _at(args, schedule)
    sys.stdout.buffer.write(
        export_ical(oncall, schedule.id, start, start + timedelta(days=args.days), args.tenant)
    )
    return 0


def add_oncall_commands(commands: Any) -> None:
    """Adds `oncall who`, `oncall show` and `oncall export` to the parser."""
    oncall = commands.add_parser("oncall", help="who is on call: schedules, escalation")
    actions = oncall.add_subparsers(dest="action", required=True)
    who = actions.add_parser("who", help="who covers each schedule (exit 1: nobody somewhere)")
    show = actions.add_parser("show", help="who covers each slot (the next 24 h, or --week)")
    show.add_argument("--week", action="store_true", help="the whole week (Monday to Monday)")
    export = actions.add_parser("export", help="the resolved schedule as iCalendar, on stdout")
    export.add_argument("--schedule", required=True)
    export.add_argument("--days", type=int, default=28, help="from --at (default 28)")
    for parser, command in ((who, cmd_oncall_who), (show, cmd_oncall_show),
                            (export, cmd_oncall_export)):  # fmt: skip
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--at", help="ISO 8601; no offset: the schedule's zone; default now")
        parser.set_defaults(func=command)
