"""Send with retry, and record: one notification through its channel, its outcome durable.

Order (the guarantee of alerts/notify/records.py): the record is saved `sending` before the
channel is called and `sent` / `pending` (retry later) / `failed` after. A trigger for an
incident that was acknowledged or resolved meanwhile is cancelled, never sent. A failure to
save raises (Elasticsearch down): the dispatcher tries the same record again later; a
record already sent is only saved again, never re-sent in this process.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from alerts.notify.contract import Channel, ChannelError, Notification
from alerts.notify.links import LinkSigner
from alerts.notify.log import NotificationLog
from alerts.notify.records import DeliveryRecord, NotificationRecord, PageThread
from alerts.notify.retry import next_attempt
from runtime import metrics
from schemas.config import NotifySettings
from schemas.incident import Incident

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Sender:
    def __init__(
        self,
        channels: Mapping[str, Channel],
        notification_log: NotificationLog,
        settings: NotifySettings,
        links: LinkSigner | None,
        clock: Clock,
        thread_of: Callable[[NotificationRecord], PageThread | None],
    ) -> None:
        self._channels = channels
        self._log = notification_log
        self._settings = settings
        self._links = links
        self._clock = clock
        self._thread_of = thread_of
        self.links: dict[str, str] = {}
        """The incident link sent in each notification (by id), in this process."""

    def deliver_group(self, records: list[NotificationRecord]) -> list[NotificationRecord]:
        """Triggers due together for one person on one channel (alerts/notify/grouping.py), as
        ONE message: the first of the still-open threads is sent with the others' incidents
        in it, then each other is recorded as it went (sent, retried at the same time, or
        failed) with a note naming that message. A crash between the two leaves the others
        pending: they are sent again after the restart (the log says so). Outcomes in order."""
        outcomes: list[NotificationRecord] = []
        live: list[tuple[NotificationRecord, PageThread]] = []
        for record in records:
            thread = self._thread_of(record) if len(records) > 1 else None
            if thread is None or thread.answered:
                outcomes.append(self.deliver(record))  # alone, cancelled or failed
            else:
                live.append((record, thread))
        if not live:
            return outcomes
        (leader, _), others = live[0], live[1:]
        sent = self.deliver(leader, grouped=tuple(thread.incident for _, thread in others))
        if sent.status == "cancelled":  # answered meanwhile: the others go on without it
            return [*outcomes, sent, *self.deliver_group([r for r, _ in others])]
        note = f"envoyée dans le même message que {leader.id}"
        copied = {k: getattr(sent, k) for k in ("status", "due_at", "sent_at", "delivery",
                                                 "last_error", "sending_since")}  # fmt: skip
        return [*outcomes, sent, *(
            self._save(record, **copied, attempts=record.attempts + 1, note=note)
            for record, _ in others
        )]  # fmt: skip

    def deliver(
        self, record: NotificationRecord, grouped: tuple[Incident, ...] = ()
    ) -> NotificationRecord:
        """Send `record` (or cancel it) and return it as recorded; raises if the log fails.
        `grouped`: other incidents told in the same message."""
        now = self._clock()
        thread = self._thread_of(record) if record.incident_id else None
        if record.incident_id and thread is None:
            return self._save(record, status="failed", note="incident inconnu du notifier")
        if record.action == "trigger" and thread is not None and thread.answered:
            return self._save(record, status="cancelled", note=f"incident {_said(thread)}")
        channel = self._channels.get(record.channel)
        if channel is None:
            return self._save(record, status="failed", note=f"canal inconnu {record.channel!r}")
        notification = self._notification(record, thread, now, grouped)
        repeat = record.status == "sending"  # found so after a crash: the send may have happened
        sending = self._save(
            record, status="sending", sending_since=now, attempts=record.attempts + 1,
            possible_duplicate=record.possible_duplicate or (repeat and not channel.deduplicates),
        )  # fmt: skip
        if sending.possible_duplicate and repeat:
            log.warning("notification %s re-sent on %s after a crash: may be a duplicate",
                        record.id, record.channel)  # fmt: skip
        try:
            delivery = channel.send(notification)
        except ChannelError as exc:
            retry = next_attempt(self._settings, sending.attempts, record.due_at, exc, now)
            if retry is None:
                metrics.record_page(record.channel, "failed")
                log.error("notification %s on %s failed: %s", record.id, record.channel, exc)
                return self._save(sending, status="failed", last_error=str(exc)[:500])
            metrics.record_page(record.channel, "retried")
            log.warning("notification %s on %s: %s; retry at %s", record.id, record.channel,
                        exc, retry.isoformat())  # fmt: skip
            return self._save(sending, status="pending", due_at=retry, last_error=str(exc)[:500])
        metrics.record_page(record.channel, "sent")
        return self._save(sending, status="sent", sent_at=self._clock(),
                          delivery=DeliveryRecord.of(delivery))  # fmt: skip

    def _notification(
        self, record: NotificationRecord, thread: PageThread | None, now: datetime,
        grouped: tuple[Incident, ...],
    ) -> Notification:  # fmt: skip
        link = None
        if self._links is not None and thread is not None and record.action == "trigger":
            others = tuple(incident.id for incident in grouped)  # one page lists them all
            link = self._links.link(record.tenant, thread.incident_id, record.id, now, others)
            self.links[record.id] = link
        return Notification(
            id=record.id, action=record.action, tenant=record.tenant,
            recipient=record.recipient.recipient() if record.recipient else None,
            incident=thread.incident if thread else None, health=record.health, link=link,
            reason=record.reason, step=record.step, grouped=grouped,
        )  # fmt: skip

    def _save(self, record: NotificationRecord, **changes: object) -> NotificationRecord:
        updated = record.model_copy(update=changes)
        self._log.save([updated])
        return updated


def _said(thread: PageThread) -> str:
    last = thread.responses[-1] if thread.responses else None
    verb = "acquitté" if thread.status == "acknowledged" else "résolu"
    return f"{verb} par {last.by}" if last else verb
