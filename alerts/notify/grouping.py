"""Grouping (Alertmanager's `group_wait`): several incidents of one tenant for the same person
on the same channel within `group_wait_s` go out as ONE message, not one each.

Two pure steps, both on an injected `now`:
- `group_start`: when a new thread's first step is due. A thread opened while another of the
  tenant's first steps is still waiting on one of the route's channels (due within
  `group_wait_s` from now) joins that wait — its steps are due at the same instants, so the
  later escalation steps go out together too; otherwise it starts its own wait.
- `message_groups`: the triggers that fell due together, split into one group per message
  (same tenant, channel and person: `NotificationRecord.group_key`); anything else alone.
The sender (alerts/notify/send.py) sends each group as one message.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from alerts.notify.records import NotificationRecord


def group_start(
    waiting: Iterable[NotificationRecord],
    tenant: str,
    channels: Iterable[str],
    now: datetime,
    wait: timedelta,
) -> datetime:
    """The due time of the first step of a thread opened at `now` (see the module)."""
    wanted = set(channels)
    joined = [
        r.due_at
        for r in waiting
        if r.tenant == tenant and r.channel in wanted and r.action == "trigger" and r.step == 0
        and r.status == "pending" and now <= r.due_at <= now + wait
    ]  # fmt: skip
    return min(joined, default=now + wait)


def message_groups(records: Iterable[NotificationRecord]) -> list[list[NotificationRecord]]:
    """Due records as messages, in the order of each group's first record."""
    groups: dict[tuple[str, ...], list[NotificationRecord]] = {}
    for record in records:
        alone = record.action != "trigger" or record.incident_id is None
        key = ("", record.id) if alone else record.group_key
        groups.setdefault(key, []).append(record)
    return list(groups.values())
