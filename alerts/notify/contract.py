"""What the notifier's stages hand each other, and the channel contract.

A `Notification` is one message, to one recipient (a person, or a chat room), about one
step of one incident (or one source-health event). Its `id` is deterministic (incident,
action, escalation step, recipient, channel): the same step retried or replayed after a
crash carries the same id, which channels that de-duplicate pass to their provider
(PagerDuty `dedup_key` is the incident id, Opsgenie `alias`, the signed webhook's
`webhook-id`), and which the notification log records.

A channel sends one notification and returns what the provider answered, or raises
`ChannelError` saying whether a retry can help. A channel never retries by itself (the
notifier's retry stage is the one retry layer), never blocks another channel, and never
puts a secret (token, webhook URL, password) in a log line, an error or a `Delivery`.
"""

from dataclasses import dataclass, field
from typing import Literal, Protocol

from schemas.health import SourceHealthEvent
from schemas.incident import Incident
from schemas.reply_record import OverdueDigest

Action = Literal["trigger", "acknowledge", "resolve", "info"]
"""trigger: wake someone (or re-notify at an escalation step); acknowledge / resolve: tell
the providers that track alerts (PagerDuty, Opsgenie) and the chat thread; info: an
operator notice that pages nobody (source health, a warning in quiet hours)."""


@dataclass(frozen=True)
class Recipient:
    """Who a notification is for, and how each channel reaches them."""

    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    chat: str | None = None
    """A chat handle or room, for channels that address one (Slack user id, …)."""


@dataclass(frozen=True)
class Notification:
    id: str
    action: Action
    tenant: str
    recipient: Recipient | None
    """None: the channel's own destination (a team's chat room, a service's routing key)."""
    incident: Incident | None = None
    health: SourceHealthEvent | None = None
    link: str | None = None
    """The signed, expiring incident-page URL (acknowledge / resolve buttons)."""
    reason: str = ""
    """Why this person gets it, in French: 'niveau 1 de l'astreinte week-end', 'escalade…'."""
    step: int = 0
    """The escalation step (0 = first notification)."""
    also_notified: tuple[str, ...] = field(default_factory=tuple)
    """Names of the others paged for the same incident (shown on the page)."""
    grouped: tuple[Incident, ...] = field(default_factory=tuple)
    """The tenant's other incidents sent in this same message (alerts/notify/grouping.py)."""
    overdue: OverdueDigest | None = None
    """A team's posts past their answer's due time (`veille response watch`), oldest first."""


@dataclass(frozen=True)
class Delivery:
    """What the provider answered to a sent notification; secret-free, at most 1 KB."""

    channel: str
    status: int | None
    """HTTP status or SMTP reply code; None where the transport has none."""
    answer: str
    provider_id: str | None = None
    """The provider's id for what it created (a PagerDuty dedup key, an SMTP queue id)."""


class ChannelError(Exception):
    """Not delivered. `recoverable`: a retry can help (timeout, 429, 5xx); not: it cannot
    (400, 401, a refused address). `retry_after_s`: the provider's Retry-After, if any."""

    def __init__(
        self, message: str, *, recoverable: bool, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.recoverable = recoverable
        self.retry_after_s = retry_after_s


class Channel(Protocol):
    name: str
    deduplicates: bool
    """True: the provider drops a second copy carrying the same notification id, so a send
    repeated after a crash is harmless. False (e-mail, SMS): a duplicate is possible, and
    only from a crash between the send and its record; the log says so."""

    def send(self, notification: Notification) -> Delivery:
        """Deliver one notification; raise ChannelError if it was not delivered."""
        ...
