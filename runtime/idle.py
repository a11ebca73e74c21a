"""How a stream worker waits between polls that returned nothing.

While records arrive it polls back to back. After consecutive empty polls it waits longer
each time: `FIRST_WAIT_S`, doubled after each further empty poll, up to a ceiling, so an idle
worker costs a few polls a second (a noida-db fetch comes back empty at once, so kafka-python
alone would poll back to back).

With an `OffsetWatch` (a PLAINTEXT listener, runtime/offset_watch.py), the wait ends as soon
as the watch sees records past the consumer's position: the first record after a quiet spell
waits about `worker.offset_watch_interval_ms` for its poll. The pauses then grow up to
`WATCHED_CEILING_S` (a poll now and then in case the watch missed something); without a
watch, the ceiling is `worker.idle_poll_interval_ms`.

With a watch the pacing spans the loop's turns: `poll_due` says whether the next poll may
happen now, so that returning to the loop (every `worker.poll_timeout_ms`, for ticks and
readiness) does not cost a poll of its own.
"""

import threading
import time
from typing import Protocol

from schemas.config import WorkerSettings

FIRST_WAIT_S = 0.002
"""The wait after the first empty poll in a row."""
WATCHED_CEILING_S = 5.0
"""The longest pause between polls of a worker with a watch."""


class Watch(Protocol):
    """What learns of records between polls (runtime/offset_watch.py's `OffsetWatch`)."""

    def wait(self, timeout_s: float, stop: threading.Event) -> bool:
        """Block up to `timeout_s`; True if records arrived."""
        ...


class IdleWait:
    def __init__(
        self, settings: WorkerSettings, stop: threading.Event, watch: Watch | None
    ) -> None:
        self._watch = watch
        unwatched_s = settings.idle_poll_interval_ms / 1000
        self._ceiling_s = unwatched_s if watch is None else max(unwatched_s, WATCHED_CEILING_S)
        self._stop = stop
        self._empty = 0
        self._polled_at = float("-inf")

    def after_poll(self, got_records: bool) -> None:
        self._empty = 0 if got_records else self._empty + 1
        self._polled_at = time.monotonic()

    def poll_due(self) -> bool:
        """Whether the loop may poll now: at each of its turns without a watch (kafka-python
        returns a fetch's answer at the poll after the one that sent it, so that poll often
        brings what arrived during the pause); with one, once the pause since the last poll
        is over or records brought it to none."""
        return self._watch is None or time.monotonic() >= self._polled_at + self.pause_s()

    def pause_s(self) -> float:
        """The wait before the next poll: none after records, then growing to the ceiling
        (the caller's `until` bounds it too)."""
        if not self._empty:
            return 0.0
        doubled: float = FIRST_WAIT_S * 2.0 ** min(self._empty - 1, 30)
        return min(self._ceiling_s, doubled)

    def wait(self, until: float) -> bool:
        """Wait until the next poll is due, never past monotonic `until`, less if the watch
        sees records arrive (the pause then drops to none). True if `stop` was set."""
        left = min(self._polled_at + self.pause_s(), until) - time.monotonic()
        if left <= 0:
            return self._stop.is_set()
        if self._watch is None:
            return self._stop.wait(left)
        if self._watch.wait(left, self._stop):
            self._empty = 0
        return self._stop.is_set()
