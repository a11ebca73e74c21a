"""Response-time records, indexed in the tenant's `responses` family (written by the response
watch, `veille response watch`; read by Kibana, the weekly report and analysts).

Why a family of its own rather than fields on the mention's document: the mention document is
rewritten whole (`index`) by the index stage at every redelivery or engagement update, which
would erase any field written beside it; and noida-db has no `percentiles` aggregation, so
the median and p90 per team and week are computed once, by the watch, and stored as
documents that any engine (and a Kibana panel) reads as plain numbers.

Three kinds of document, each with a deterministic id so a tick repeated (after a crash, or
every minute over the same window) overwrites, never doubles:
- `post` (FirstReply): one answered post, id = the post's mention id; monthly index of the
  post's `published_at`.
- `week` (WeekReplyTimes): one team's week, id = week_reply_id(tenant, team, week);
  monthly index of `week_start`.
- `overdue` (OverdueNotice): one post notified to one team past one due time, id =
  overdue_id(post, team, due_at): the dedup record of the notification (written after the
  send); monthly index of the post's `published_at`.
`team` is None where no team takes the post's intent; `week` is the ISO week of the post's
publication in the tenant's zone (e.g. 2026-W45).
"""

import hashlib
from typing import Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt

from schemas._base import UtcDatetime, WireModel
from schemas.enriched import IntentLabel

REPLY_RECORD_SCHEMA_VERSION: Literal[1] = 1


def week_reply_id(tenant: str, team: str | None, week: str) -> str:
    digest = hashlib.sha256(f"{tenant}\x1fweek\x1f{team or ''}\x1f{week}".encode())
    return digest.hexdigest()[:32]


def overdue_id(post_id: str, team: str | None, due_at: str) -> str:
    """`due_at` in ISO form: a post whose due time moves (new rules) is a new crossing."""
    digest = hashlib.sha256(f"{post_id}\x1foverdue\x1f{team or ''}\x1f{due_at}".encode())
    return digest.hexdigest()[:32]


class _Record(WireModel):
    """What every response-time record has (see the module docstring for `id` and `week`)."""

    schema_version: Literal[1] = REPLY_RECORD_SCHEMA_VERSION
    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    tenant: str = Field(min_length=1)
    team: str | None
    week: str = Field(pattern=r"^\d{4}-W\d{2}$")


class _PostRecord(_Record):
    """A record about one post that needed an answer."""

    brands: list[str]
    intent: IntentLabel
    source_kind: str
    url: str | None = None
    published_at: UtcDatetime
    due_at: UtcDatetime


class FirstReply(_PostRecord):
    """One answered post; `id` is the post's mention id."""

    kind: Literal["post"] = "post"
    answered_at: UtcDatetime = Field(description="publication of the first brand reply")
    reply_id: str = Field(description="mention id of the first brand reply")
    reply_seconds: NonNegativeFloat = Field(description="first-reply time, in seconds")
    on_time: bool = Field(description="answered_at <= due_at")


class WeekReplyTimes(_Record):
    kind: Literal["week"] = "week"
    week_start: UtcDatetime = Field(description="Monday 00:00 of the week, tenant's zone")
    answered: NonNegativeInt
    answered_on_time: NonNegativeInt
    median_seconds: NonNegativeFloat = Field(description="nearest rank")
    p90_seconds: NonNegativeFloat = Field(description="nearest rank")
    computed_at: UtcDatetime


class OverdueNotice(_PostRecord):
    kind: Literal["overdue"] = "overdue"
    post_id: str
    notified_at: UtcDatetime
    crisis: str | None = Field(default=None, description="the open incident it belongs to")


ReplyRecord = FirstReply | WeekReplyTimes | OverdueNotice


class OverduePost(WireModel):
    """One post of an overdue list, as a notification shows it."""

    post_id: str
    url: str | None = None
    text: str
    intent: IntentLabel
    followers: NonNegativeInt = 0
    published_at: UtcDatetime
    due_at: UtcDatetime


class OverdueDigest(WireModel):
    """What a team is told: its posts that crossed their due time unanswered, oldest first.
    `page`: the posts belong to an open crisis (`crisis`, its incident id) and the message
    may wake someone; otherwise it is a notice that pages nobody."""

    tenant: str = Field(min_length=1)
    team: str | None
    page: bool = False
    crisis: str | None = None
    at: UtcDatetime
    posts: list[OverduePost] = Field(min_length=1)
