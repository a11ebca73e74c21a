"""`veille response watch` (and the `response` worker of `veille run`): every
`response.watch_interval_s` (the smallest of the tenants'), each tenant with teams gets one
tick of history/response_watch.py — first-reply records and weekly figures written, overdue
posts listed — and each overdue list is sent to its team's channels (alerts/notify/channels,
the same channel code as pages), then marked sent.

Composition only: history decides and records, alerts/notify/channels sends; they meet here,
in veille/, never in each other. A list is marked sent once every channel of the team took
it; a channel that failed gets it again at the next tick (with the same notification id, so
a de-duplicating channel that already had it drops the copy). A failing tick (the search
engine away) is logged and retried at the next one: the watch never stops `veille run`.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alerts.notify.channels import build_channel
from alerts.notify.contract import Channel, ChannelError, Notification
from history.response_watch import Pending, ResponseWatch
from runtime.indices import make_client
from schemas.config import VeilleConfig

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def _system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ResponseWatchService:
    watches: list[ResponseWatch]
    channels: dict[str, Channel]
    interval_s: float
    stop_event: threading.Event
    clock: Clock = _system_clock
    sent: int = 0
    failed_ticks: int = 0
    paused: Callable[[], bool] = lambda: False
    """While true, no tick (the demo: while it waits on an escalation at 12,000× speed)."""
    ticks: int = 0
    overdue: dict[str, int] = field(default_factory=dict)
    """Per tenant, the overdue posts found at the last tick (the demo's console shows it)."""

    def run(self) -> None:
        while not self.stop_event.is_set():
            if not self.paused():
                self.tick()
            self.stop_event.wait(self.interval_s)

    def tick(self) -> int:
        """One pass over every tenant; the number of lists sent."""
        sent = 0
        for watch in self.watches:
            try:
                result = watch.tick(self.clock())
                for pending in result.pending:
                    if self._send(pending):
                        watch.delivered(pending)
                        sent += 1
                self.overdue[watch.tenant.id] = result.overdue
            except Exception:
                self.failed_ticks += 1
                log.exception("response watch of tenant %s failed; next tick retries",
                              watch.tenant.id)  # fmt: skip
        self.sent += sent
        self.ticks += 1
        return sent

    def _send(self, pending: Pending) -> bool:
        notification = Notification(
            id=pending.id, action="trigger" if pending.digest.page else "info",
            tenant=pending.digest.tenant, recipient=None, overdue=pending.digest,
            reason=f"posts sans réponse de l'équipe {pending.digest.team}",
        )  # fmt: skip
        delivered = True
        for name in pending.channels:
            try:
                self.channels[name].send(notification)
            except ChannelError as exc:
                delivered = False
                log.warning("overdue list %s to channel %s not delivered (%s); next tick "
                            "retries", pending.id, name, exc)  # fmt: skip
        return delivered


def build_response_watch(
    config: VeilleConfig, stop: threading.Event, clock: Clock = _system_clock
) -> ResponseWatchService:
    client = make_client(config.elasticsearch)
    tenants = [t for t in config.tenants if t.response.teams]
    watches = [ResponseWatch(client, config.elasticsearch, t) for t in tenants]
    names = {c for t in tenants for team in t.response.teams for c in team.channels}
    channels = {n: build_channel(n, config.alerts.channels[n]) for n in sorted(names)}
    interval = min((t.response.watch_interval_s for t in tenants), default=60.0)
    return ResponseWatchService(watches, channels, interval, stop, clock)
