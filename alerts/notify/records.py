"""What the notifier keeps durable (alerts/notify/log.py stores it): one `NotificationRecord`
per notification, one `PageThread` per incident.

A record's life: `pending` (written before the input offset is committed; `due_at` says when)
→ `sending` (written just before the channel is called) → `sent` (with the provider's
answer) | `failed` (unrecoverable, or retried past `give_up_after_h`) | `cancelled` (the
incident was acknowledged or resolved first, or superseded). A record found `sending` after
a restart is sent again: harmless on a channel that de-duplicates on the notification id;
elsewhere (e-mail, SMS) the copy is marked `possible_duplicate`, so the log says so.
"""

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alerts.notify.contract import Action, Delivery, Recipient
from schemas.health import SourceHealthEvent
from schemas.incident import Incident
from schemas.response import IncidentResponse

RecordStatus = Literal["pending", "sending", "sent", "failed", "cancelled"]
ThreadStatus = Literal["open", "acknowledged", "resolved"]
OPEN_RECORDS: tuple[RecordStatus, ...] = ("pending", "sending")


def notification_id(*parts: object) -> str:
    """Deterministic: the same step of the same incident for the same person on the same
    channel has the same id however often it is planned (replay, restart)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


class RecipientRecord(BaseModel):
    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    chat: str | None = None

    @classmethod
    def of(cls, recipient: Recipient) -> "RecipientRecord":
        return cls(**recipient.__dict__)

    def recipient(self) -> Recipient:
        return Recipient(**self.model_dump())


class DeliveryRecord(BaseModel):
    channel: str
    status: int | None
    answer: str
    provider_id: str | None = None

    @classmethod
    def of(cls, delivery: Delivery) -> "DeliveryRecord":
        return cls(
            channel=delivery.channel, status=delivery.status, answer=delivery.answer[:1024],
            provider_id=delivery.provider_id,
        )  # fmt: skip


class NotificationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    tenant: str
    incident_id: str | None = None
    health: SourceHealthEvent | None = None
    topic: str = Field(description="input topic whose partition owns this record")
    partition: int
    channel: str
    action: Action
    step: int = 0
    level: int = 0
    recipient: RecipientRecord | None = None
    reason: str = ""
    due_at: datetime
    planned_at: datetime
    status: RecordStatus = "pending"
    attempts: int = 0
    last_error: str | None = None
    sending_since: datetime | None = None
    sent_at: datetime | None = None
    delivery: DeliveryRecord | None = None
    possible_duplicate: bool = False
    note: str = ""
    """Why it was held, cancelled or given up, in French for the incident page."""

    @property
    def group_key(self) -> tuple[str, str, str]:
        """Notifications grouped into one message: same tenant, channel and person."""
        return (self.tenant, self.channel, self.recipient.id if self.recipient else "")


class PageThread(BaseModel):
    """An incident as the notifier follows it: one thread from opening to resolution, whatever
    its severity changes (warning → major → critical stay one thread)."""

    model_config = ConfigDict(extra="forbid")

    incident_id: str
    tenant: str
    brand: str
    topic: str
    partition: int
    incident: Incident
    status: ThreadStatus = "open"
    opened_at: datetime
    updated_at: datetime
    routes: list[int] = Field(default_factory=list)
    """Indices (in alerts.routes) of the routes already planned for this thread."""
    severities: list[str] = Field(default_factory=list)
    """Severities already announced (an escalation to a new one is announced once)."""
    channels: list[str] = Field(default_factory=list)
    """Channels used by the thread (told of an acknowledgement or resolution)."""
    responses: list[IncidentResponse] = Field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.status != "open"
