"""How a stream worker waits between polls that returned nothing.

While records arrive it polls back to back. After consecutive empty polls it waits longer
each time: `FIRST_WAIT_S`, doubled after each further empty poll, up to a ceiling, so an idle
worker costs a few polls a second (a noida-db fetch comes back empty at once, so kafka-python
alone would poll back to back).

With an `OffsetWatch` (a PLAINTEXT listener, runtime/offset_watch.py), the wait ends as soon
as the watch sees records past the consumer's position: the first record after a quiet spell
waits about `worker.offset_watch_interval_ms` for its poll. The wait then has no ceiling of
its own (the loop polls anyway every `worker.poll_timeout_ms`); without a watch, the ceiling
is `worker.idle_poll_interval_ms`.
"""

import threading
import time
from typing import Protocol

from schemas.config import WorkerSettings

FIRST_WAIT_S = 0.002
"""The wait after the first empty poll in a row."""


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
        ceiling_ms = settings.idle_poll_interval_ms if watch is None else float("inf")
        self._ceiling_s = ceiling_ms / 1000
        self._stop = stop
        self._empty = 0

    def after_poll(self, got_records: bool) -> None:
        self._empty = 0 if got_records else self._empty + 1

    def pause_s(self) -> float:
        """The wait before the next poll: none after records, then growing to the ceiling
        (the caller's `until` bounds it too)."""
        if not self._empty:
            return 0.0
        doubled: float = FIRST_WAIT_S * 2.0 ** min(self._empty - 1, 30)
        return min(self._ceiling_s, doubled)

    def wait(self, until: float) -> bool:
        """Wait before the next poll, never past monotonic `until`, less if the watch sees
        records arrive (the pause then starts again from nothing). True if `stop` was set."""
        left = min(self.pause_s(), until - time.monotonic())
        if left <= 0:
            return self._stop.is_set()
        if self._watch is None:
            return self._stop.wait(left)
        if self._watch.wait(left, self._stop):
            self._empty = 0
        return self._stop.is_set()
