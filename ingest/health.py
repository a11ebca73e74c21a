"""Per-source health: last success, consecutive errors, items/hour, and when to say so.

`SourceHealth` is updated after every poll with an injected clock, and returns the
SourceHealthEvent to produce when a source crosses into or out of silence: `failing` after
`silent_after_errors` failed polls in a row, `no_items` when no new item came for the
source's `silent_after_s`. One `source_silent` per episode, one `source_recovered` after it.
"""

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ingest.sources.base import Source, Watched
from runtime import metrics
from schemas.health import SourceHealthEvent, SourceHealthSnapshot, health_event_id


@dataclass
class SourceHealth:
    source: str
    kind: str
    tenants: list[str]
    silent_after_errors: int
    silent_after_s: float | None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_success: datetime | None = None
    last_item_at: datetime | None = None
    last_error: str | None = None
    consecutive_errors: int = 0
    first_error_at: datetime | None = None
    items_total: int = 0
    silent_since: datetime | None = None
    _recent: deque[tuple[datetime, int]] = field(default_factory=deque)

    @classmethod
    def of(cls, source: Source, silent_after_errors: int) -> "SourceHealth":
        """A new source's health; a Watched one also goes silent after a quiet spell."""
        silent_after_s = source.silent_after_s if isinstance(source, Watched) else None
        tenants = sorted(source.tenants or [])
        return cls(source.id, source.kind, tenants, silent_after_errors, silent_after_s)

    def items_per_hour(self, now: datetime) -> float:
        hour_ago = now - timedelta(hours=1)
        while self._recent and self._recent[0][0] < hour_ago:
            self._recent.popleft()
        return float(sum(n for _, n in self._recent))

    def snapshot(self, now: datetime) -> SourceHealthSnapshot:
        """What `veille ingest health` shows."""
        return SourceHealthSnapshot(
            kind=self.kind,
            last_success=self.last_success,
            last_error=self.last_error,
            consecutive_errors=self.consecutive_errors,
            items_total=self.items_total,
            items_per_hour=self.items_per_hour(now),
            last_item_at=self.last_item_at,
            silent_since=self.silent_since,
            at=now,
        )

    def export(self) -> None:
        """The source's state as Prometheus gauges (veille_source_*)."""
        ok = self.consecutive_errors == 0 and self.silent_since is None
        metrics.record_source(self.source, ok, self.consecutive_errors, self.last_success)

    def succeeded(self, new_items: int, now: datetime) -> SourceHealthEvent | None:
        self.last_success = now
        self.consecutive_errors = 0
        self.first_error_at = None
        self.last_error = None
        if new_items:
            self.items_total += new_items
            self.last_item_at = now
            self._recent.append((now, new_items))
        if self.silent_since is not None and (new_items or self._quiet_for(now) is None):
            return self._event("source_recovered", "recovered", now, "polls and items again")
        return self._check_quiet(now)

    def failed(self, error: str, now: datetime) -> SourceHealthEvent | None:
        self.consecutive_errors += 1
        self.last_error = error
        self.first_error_at = self.first_error_at or now
        if self.silent_since is None and self.consecutive_errors >= self.silent_after_errors:
            since = self.first_error_at
            self.silent_since = since
            return self._event(
                "source_silent",
                "failing",
                now,
                f"{self.consecutive_errors} failed polls in a row, last: {error}",
                since,
            )
        return None

    def _quiet_for(self, now: datetime) -> datetime | None:
        """Start of a quiet spell longer than `silent_after_s`, if there is one."""
        if self.silent_after_s is None:
            return None
        since = self.last_item_at or self.started_at
        return since if (now - since).total_seconds() >= self.silent_after_s else None

    def _check_quiet(self, now: datetime) -> SourceHealthEvent | None:
        since = self._quiet_for(now)
        if since is None or self.silent_since is not None:
            return None
        self.silent_since = since
        return self._event(
            "source_silent",
            "no_items",
            now,
            f"no new item for {(now - since).total_seconds() / 3600:.1f} h",
            since,
        )

    def _event(
        self, event: str, reason: str, now: datetime, what: str, since: datetime | None = None
    ) -> SourceHealthEvent:
        episode = since or self.silent_since or now
        if event == "source_recovered":
            self.silent_since = None
        return SourceHealthEvent.model_validate(
            {
                "id": health_event_id(self.source, event, episode),
                "event": event,
                "reason": reason,
                "source": self.source,
                "source_kind": self.kind,
                "tenants": self.tenants,
                "since": episode,
                "at": now,
                "consecutive_errors": self.consecutive_errors,
                "last_error": self.last_error,
                "last_success": self.last_success,
                "last_item_at": self.last_item_at,
                "items_per_hour": self.items_per_hour(now),
                "message": f"source {self.source} ({self.kind}): {what}",
            }
        )
