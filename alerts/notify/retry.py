"""The one retry layer: when a recoverable failure is tried again (channels never retry)."""

from datetime import datetime, timedelta

from alerts.notify.contract import ChannelError
from schemas.config import NotifySettings


def next_attempt(
    settings: NotifySettings, attempts: int, due_at: datetime, error: ChannelError, now: datetime
) -> datetime | None:
    """When to try again after the `attempts`-th failure, or None: give up (unrecoverable,
    or past `give_up_after_h` from when it was due). Backoff doubles from `retry_initial_s` up
    to `retry_max_s`; a provider's Retry-After wins when longer."""
    if not error.recoverable:
        return None
    if now - due_at > timedelta(hours=settings.give_up_after_h):
        return None
    wait = min(settings.retry_initial_s * 2 ** max(attempts - 1, 0), settings.retry_max_s)
    if error.retry_after_s is not None:
        wait = max(wait, min(error.retry_after_s, settings.retry_max_s))
    return now + timedelta(seconds=wait)
