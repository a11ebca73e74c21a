"""Escalation: the notifications an incident's page thread calls for, each with its due time.

Planned once, when the thread meets a route (opening, or an escalation of severity that a
route of higher severity matches): a route with an `escalation` policy gives one record per
step × recipient × channel, due `step.delay` after the first step (`group_wait_s` from now,
or the tenant's group already waiting: alerts/notify/grouping.py), recipients resolved at the
step's due time from the tenant's own on-call; a route without one gives one record per
channel. Quiet hours hold a record below `critical` until they end. Acknowledgement and
resolution cancel every pending trigger (alerts/notify/stage.py) and tell each channel of
the thread once — on a channel that writes to a person (e-mail, SMS: `notified` names who
was paged on it), each person already paged there, once. A rise of severity is told the
same way: the same page thread, not a new incident. Ids are deterministic
(`notification_id`): re-planning after a crash or a replay finds the same records instead of
adding new ones.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from alerts.notify.contract import Action
from alerts.notify.oncall import escalation_steps, recipients
from alerts.notify.quiet_hours import release_at
from alerts.notify.records import NotificationRecord, PageThread, RecipientRecord, notification_id
from schemas.config import NotifySettings, RouteSettings, TenantSettings
from schemas.health import SourceHealthEvent


def _held(route: RouteSettings, severity: str, due: datetime, zone: str) -> tuple[datetime, str]:
    if route.quiet_hours is None or severity == "critical":
        return due, ""
    released = release_at(route.quiet_hours, due, zone)
    if released == due:
        return due, ""
    return released, f"retenue (heures calmes) jusqu'à {released:%Y-%m-%d %H:%M} UTC"


def plan_route(
    thread: PageThread,
    index: int,
    route: RouteSettings,
    tenant: TenantSettings,
    settings: NotifySettings,
    now: datetime,
    first: datetime | None = None,
) -> list[NotificationRecord]:
    """Every notification one route gives the thread, from now on. `first`: when the first
    step is due (alerts/notify/grouping.py `group_start`); default now + group_wait_s."""
    severity = thread.incident.severity
    first = first or now + timedelta(seconds=settings.group_wait_s)
    records: list[NotificationRecord] = []

    def add(channel: str, step: int, level: int, due: datetime, reason: str,
            recipient: RecipientRecord | None) -> None:  # fmt: skip
        released, note = _held(route, severity, due, tenant.timezone)
        records.append(NotificationRecord(
            id=notification_id(thread.incident_id, "trigger", index, step,
                                recipient.id if recipient else "", channel),
            tenant=thread.tenant, incident_id=thread.incident_id, topic=thread.topic,
            partition=thread.partition, channel=channel, action="trigger", step=step,
            level=level, recipient=recipient, reason=reason, due_at=released, planned_at=now,
            note=note,
        ))  # fmt: skip

    if route.escalation is None:
        for channel in route.channels:
            add(channel, 0, 0, first, "notification de l'équipe", None)
        return records
    for step in escalation_steps(tenant.oncall, route.escalation):
        due = first + step.delay
        people = recipients(tenant.oncall, step.targets, due)
        for person in people:
            for channel in route.channels:
                add(channel, step.index, step.level, due, step.reason, RecipientRecord.of(person))
    return records


Notified = Mapping[str, Sequence[RecipientRecord]]
"""Per channel that writes to a person (e-mail, SMS), the people already paged on it."""


def notified_people(records: Iterable[NotificationRecord], channels: set[str]) -> Notified:
    """Who was sent a trigger of the thread on each of `channels` (first send first)."""
    people: dict[str, dict[str, RecipientRecord]] = {}
    for record in sorted(records, key=lambda r: (r.sent_at or r.due_at, r.id)):
        if (record.action == "trigger" and record.status == "sent"
                and record.recipient is not None and record.channel in channels):  # fmt: skip
            people.setdefault(record.channel, {}).setdefault(record.recipient.id, record.recipient)
    return {channel: list(found.values()) for channel, found in people.items()}


def _told(
    thread: PageThread, channels: list[str], notified: Notified, action: Action, key: str,
    reason: str, now: datetime,
) -> list[NotificationRecord]:  # fmt: skip
    """One record per channel, or per person already paged on a channel that writes to one."""
    records = []
    for channel in channels:
        people: Sequence[RecipientRecord | None] = notified.get(channel) or [None]
        for person in people:
            parts = (key, channel) if person is None else (key, channel, person.id)
            records.append(NotificationRecord(
                id=notification_id(thread.incident_id, *parts), tenant=thread.tenant,
                incident_id=thread.incident_id, topic=thread.topic, partition=thread.partition,
                channel=channel, action=action, recipient=person, reason=reason, due_at=now,
                planned_at=now,
            ))  # fmt: skip
    return records


def plan_severity_change(
    thread: PageThread, routes: Sequence[RouteSettings], old: str, now: datetime,
    notified: Notified, zone: str,
) -> list[NotificationRecord]:  # fmt: skip
    """An open thread whose severity rose: one update per channel already in the thread
    (the same page thread, not a new incident). `routes`: the thread's routes; below
    `critical`, an update waits for the end of the quiet hours (in the tenant's `zone`
    unless they name theirs) unless a route of its channel has none then."""
    new = thread.incident.severity
    key = f"severity\x1f{new}"  # the ids of before: (incident, "severity", new, channel)
    told = _told(thread, thread.channels, notified, "trigger", key,
                 f"aggravation : {old} → {new}", now)  # fmt: skip
    held = []
    for record in told:
        due, note = min(
            (_held(route, new, now, zone) for route in routes if record.channel in route.channels),
            default=(now, ""),
        )
        held.append(record.model_copy(update={"due_at": due, "note": note}))
    return held


def plan_answer(
    thread: PageThread, action: Action, by: str, now: datetime, notified: Notified
) -> list[NotificationRecord]:
    """Tell each channel of the thread, once, that it was acknowledged or resolved."""
    verb = "acquittée" if action == "acknowledge" else "résolue"
    return _told(thread, thread.channels, notified, action, action, f"{verb} par {by}", now)


def plan_health(
    event: SourceHealthEvent, topic: str, partition: int, tenant: str, channels: list[str],
    now: datetime,
) -> list[NotificationRecord]:  # fmt: skip
    """A source-health notice for one tenant's operator channels (no page)."""
    return [
        NotificationRecord(
            id=notification_id(event.id, tenant, channel),
            tenant=tenant,
            health=event,
            topic=topic,
            partition=partition,
            channel=channel,
            action="info",
            reason="santé des sources",
            due_at=now,
            planned_at=now,
        )
        for channel in channels
    ]
