"""PollScheduler: when each source is polled next — its interval, its error backoff, the
server's wait, and the global pause while Kafka does not take what ingest produces.

Contract (monotonic seconds, injected clock):
- after a successful poll a source is due again `interval_s` later, or later still when the
  API's rate-limit headers asked for a pause (`Fetched.wait_s`);
- a failed poll backs the source off exponentially (interval × 2^(n-1) for the n-th failure
  in a row, at least the server's Retry-After), capped at `ingest.error_backoff_max_s`;
- a failed flush pauses *every* source for a growing backoff (2, 4 … 60 s): no source
  fetches while paused, so what waits for Kafka stays bounded. One delivered batch ends the
  pause's growth.
"""

import time
from collections.abc import Callable, Iterable

from ingest.sources.base import Source
from schemas.config import IngestSettings

KAFKA_BACKOFF_MAX_S = 60.0


class PollScheduler:
    def __init__(
        self,
        sources: Iterable[Source],
        settings: IngestSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self.next_poll = {s.id: 0.0 for s in sources}
        self.failures = dict.fromkeys(self.next_poll, 0)
        self._kafka_failures = 0
        self._kafka_paused_until = 0.0

    def wait_s(self, source: Source) -> float:
        """Seconds until `source` is due (≤ 0: due now)."""
        return self.next_poll[source.id] - self._clock()

    def start_poll(self, source: Source) -> bool:
        """Whether `source` may fetch now (not while Kafka is paused); schedules its next
        poll one interval ahead, or at the pause's end."""
        now = self._clock()
        if self._kafka_paused_until > now:
            self.next_poll[source.id] = self._kafka_paused_until
            return False
        self.next_poll[source.id] = now + source.interval_s
        return True

    def asked_to_wait(self, source: Source, wait_s: float) -> None:
        """The API's rate-limit headers asked not to poll before `wait_s` from now."""
        self.next_poll[source.id] = max(self.next_poll[source.id], self._clock() + wait_s)

    def crashed(self, source: Source) -> None:
        """A bug in one poll: retried at its next interval."""
        self.next_poll[source.id] = self._clock() + source.interval_s

    def source_failed(self, source: Source, retry_after_s: float | None) -> float:
        """Back `source` off after a failed poll; return the backoff in seconds."""
        self.failures[source.id] += 1
        cap = self._settings.error_backoff_max_s
        backoff: float = min(cap, source.interval_s * 2.0 ** (self.failures[source.id] - 1))
        if retry_after_s is not None:
            backoff = max(backoff, min(retry_after_s, cap))
        self.next_poll[source.id] = self._clock() + backoff
        return backoff

    def kafka_failed(self, source: Source) -> float:
        """Pause every source after a failed flush; return the pause in seconds."""
        self._kafka_failures += 1
        backoff = min(KAFKA_BACKOFF_MAX_S, 2.0**self._kafka_failures)
        self._kafka_paused_until = self._clock() + backoff
        self.next_poll[source.id] = self._kafka_paused_until
        return backoff

    def delivered(self, source: Source) -> None:
        """`source`'s batch is durable: its failures and Kafka's are forgotten."""
        self._kafka_failures = 0
        self.failures[source.id] = 0
