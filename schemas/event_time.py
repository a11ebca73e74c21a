"""The event-time rule every door applies: ingest (sources and push) and the alerts warm-up.

A post's `published_at` is believed only inside [received_at - max_age, received_at +
max_future_skew]. Outside, it is refused with a reason (a dead letter for a source, a 400
naming the field for push, a skipped record for the warm-up), never silently moved: one
post dated a day ahead must not drag the detector's event time into the future, and one
dated in the year 9999 or 1 must not reach the index.
"""

from datetime import datetime, timedelta

from schemas.config import EventTimeSettings


def event_time_problem(
    published_at: datetime, received_at: datetime, rule: EventTimeSettings
) -> str | None:
    """Why `published_at` cannot be believed when seen at `received_at`, or None if it can."""
    ahead = published_at - received_at
    if ahead > timedelta(seconds=rule.max_future_skew_s):
        return (
            f"published_at {published_at.isoformat()} is {_span(ahead)} after it was received "
            f"({received_at.isoformat()}); at most {rule.max_future_skew_s:g} s is allowed"
        )
    if rule.max_age_days is not None and received_at - published_at > timedelta(
        days=rule.max_age_days
    ):
        return (
            f"published_at {published_at.isoformat()} is older than {rule.max_age_days:g} days "
            f"(event_time.max_age_days) when received at {received_at.isoformat()}"
        )
    return None


def latest_believable(received_at: datetime, rule: EventTimeSettings) -> datetime:
    """The latest event time a mention seen at `received_at` may carry."""
    return received_at + timedelta(seconds=rule.max_future_skew_s)


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 3600:
        return f"{seconds:.0f} s"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{delta.days} days"
