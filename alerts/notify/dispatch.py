"""Dispatch: due notifications handed to one queue per channel, so that a channel that
fails or hangs never holds another channel, another tenant, or detection.

A timer thread pops what is due (injectable clock) into the channel's queue; the channel's
own thread sends each (alerts/notify/send.py) and puts a retry back on the schedule at its
backoff time — retry scheduling never sleeps in a queue. Sending waits for `open()`: the
notifier opens it once it has read its input up to the end after an assignment, so an
acknowledgement already on the topic is known before any escalation step it stops can fire.
Triggers due together for one person on one channel are handed over, and sent, as one
message (alerts/notify/grouping.py). `run_due` does one round synchronously (tests with an
injected clock).
"""

import heapq
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from alerts.notify.grouping import message_groups
from alerts.notify.records import NotificationRecord
from alerts.notify.send import Clock, Sender

log = logging.getLogger(__name__)

LOG_RETRY = timedelta(seconds=2)
Queued = list[NotificationRecord] | None


class Dispatcher:
    def __init__(self, sender: Sender, clock: Clock, tick_s: float = 0.05) -> None:
        self._sender = sender
        self._clock = clock
        self._tick_s = tick_s
        self._lock = threading.Lock()
        self._heap: list[tuple[datetime, str]] = []
        self._pending: dict[str, NotificationRecord] = {}
        self._queues: dict[str, queue.Queue[Queued]] = {}
        self._threads: list[threading.Thread] = []
        self._open = threading.Event()
        self.delivered: list[NotificationRecord] = []
        """Outcomes in this process, in order (the demo and tests read it)."""

    def schedule(self, records: Iterable[NotificationRecord]) -> None:
        with self._lock:
            for record in records:
                if record.status not in ("pending", "sending"):
                    continue
                self._pending[record.id] = record
                heapq.heappush(self._heap, (record.due_at, record.id))

    def cancel(self, ids: Iterable[str]) -> None:
        with self._lock:
            for record_id in ids:
                self._pending.pop(record_id, None)

    def forget(self, lost: Callable[[NotificationRecord], bool]) -> None:
        """Drop the records of partitions this member no longer owns."""
        with self._lock:
            for record_id in [i for i, r in self._pending.items() if lost(r)]:
                del self._pending[record_id]

    def open(self) -> None:
        self._open.set()

    def close_gate(self) -> None:
        self._open.clear()

    def pending(self) -> list[NotificationRecord]:
        with self._lock:
            return sorted(self._pending.values(), key=lambda r: (r.due_at, r.id))

    def due(self, now: datetime) -> list[NotificationRecord]:
        """Pop every record due at `now`."""
        found: list[NotificationRecord] = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                due_at, record_id = heapq.heappop(self._heap)
                record = self._pending.get(record_id)
                if record is not None and record.due_at == due_at:
                    found.append(self._pending.pop(record_id))
        return found

    def run_due(self) -> list[NotificationRecord]:
        """Send every due record now, in this thread; return their outcomes."""
        groups = message_groups(self.due(self._clock()))
        return [outcome for group in groups for outcome in self._deliver(group)]

    def _deliver(self, group: list[NotificationRecord]) -> list[NotificationRecord]:
        try:
            outcomes = self._sender.deliver_group(group)
        except Exception as exc:  # the log is unavailable: the same records, later
            log.warning("notification %s: not recorded (%s); will retry", group[0].id, exc)
            later = self._clock() + LOG_RETRY
            self.schedule([record.model_copy(update={"due_at": later}) for record in group])
            return group
        self.delivered.extend(outcomes)
        self.schedule(outcomes)  # a retry is `pending` again, at its backoff time
        return outcomes

    def start(self, stop: threading.Event) -> None:
        thread = threading.Thread(target=self._timer, args=(stop,), name="notify-timer",
                                  daemon=True)  # fmt: skip
        thread.start()
        self._threads.append(thread)

    def _timer(self, stop: threading.Event) -> None:
        while not stop.wait(self._tick_s):
            if not self._open.is_set():
                continue
            for group in message_groups(self.due(self._clock())):
                self._queue(group[0].channel, stop).put(group)
        for q in self._queues.values():
            q.put(None)

    def _queue(self, channel: str, stop: threading.Event) -> "queue.Queue[Queued]":
        if channel not in self._queues:
            q: queue.Queue[Queued] = queue.Queue()
            self._queues[channel] = q
            thread = threading.Thread(target=self._drain, args=(q, stop),
                                      name=f"notify-{channel}", daemon=True)  # fmt: skip
            thread.start()
            self._threads.append(thread)
        return self._queues[channel]

    def _drain(self, q: "queue.Queue[Queued]", stop: threading.Event) -> None:
        while True:
            group = q.get()
            if group is None or stop.is_set():
                return
            self._deliver(group)

    def join(self, timeout_s: float = 5.0) -> None:
        for thread in self._threads:
            thread.join(timeout_s)
