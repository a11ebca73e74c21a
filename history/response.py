"""Response-time watch, pure logic (no I/O, the clock injected): which posts need an answer,
when an answer is due, and which brand reply answered them first.

Contracts:
- A post needs an answer when its intent is `service_request` or `question`, or it is a
  `complaint` of negative sentiment, and it is not written by one of the brand's accounts.
- Its answer is due `business_delay_minutes` after publication when it was published in the
  tenant's business hours (local time of the tenant's zone, so daylight saving moves the
  hours with the clocks), `off_hours_delay_minutes` after otherwise (night, weekend). Delays
  are elapsed time.
- It is answered by the earliest reply of a brand account, at the same source kind, to it or
  further down its thread (a reply to a reply to it…), published after it.
- First-reply times are summed up per team and per week (ISO week of the post's publication
  in the tenant's zone): median and p90 (nearest rank).
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.config import ResponseSettings
from schemas.enriched import EnrichedMention

ANSWERED_INTENTS = frozenset({"service_request", "question"})


@dataclass(frozen=True)
class Waiting:
    """A post that needs an answer, with its first brand reply if one came."""

    post: EnrichedMention
    due: datetime
    team: str | None
    first_reply: EnrichedMention | None

    @property
    def reply_time(self) -> timedelta | None:
        """First-reply time: from publication to the first brand reply."""
        if self.first_reply is None:
            return None
        return self.first_reply.published_at - self.post.published_at

    def overdue(self, now: datetime) -> bool:
        return self.first_reply is None and now >= self.due

    def age(self, now: datetime) -> timedelta:
        return now - self.post.published_at


def is_brand_account(mention: EnrichedMention, accounts: Mapping[str, Sequence[str]]) -> bool:
    """Written by one of the brand's accounts at this source kind (handle or author id)."""
    mine = {a.casefold() for a in accounts.get(mention.source_kind, ())}
    author = mention.author
    return any(v is not None and v.casefold() in mine for v in (author.handle, author.id))


def needs_answer(mention: EnrichedMention, accounts: Mapping[str, Sequence[str]]) -> bool:
    if mention.intent is None or is_brand_account(mention, accounts):
        return False
    label = mention.intent.label
    return label in ANSWERED_INTENTS or (
        label == "complaint" and mention.sentiment.label == "negative"
    )


def in_business_hours(at: datetime, rules: ResponseSettings, zone: ZoneInfo) -> bool:
    local = at.astimezone(zone)
    return (
        local.weekday() in rules.business_days
        and rules.business_start <= local.time().replace(tzinfo=None) < rules.business_end
    )


def answer_due(published_at: datetime, rules: ResponseSettings, zone: ZoneInfo) -> datetime:
    """When the answer to a post published at `published_at` is due (see the contract)."""
    business = in_business_hours(published_at, rules, zone)
    minutes = rules.business_delay_minutes if business else rules.off_hours_delay_minutes
    return published_at + timedelta(minutes=minutes)


def waiting_posts(
    mentions: Iterable[EnrichedMention],
    accounts: Mapping[str, Sequence[str]],
    rules: ResponseSettings,
    zone: ZoneInfo,
) -> list[Waiting]:
    """Every post of `mentions` that needs an answer, oldest first, each with its first
    brand reply among `mentions` (None: unanswered)."""
    posts = list(mentions)
    by_native = {(m.source_kind, m.native_id): m for m in posts}
    first: dict[str, EnrichedMention] = {}  # post id → earliest brand reply down its thread
    for reply in posts:
        if not is_brand_account(reply, accounts):
            continue
        for answered in _thread_above(reply, by_native):
            if answered.published_at <= reply.published_at and (
                answered.id not in first or reply.published_at < first[answered.id].published_at
            ):
                first[answered.id] = reply
    out = [
        Waiting(p, answer_due(p.published_at, rules, zone),
                rules.team_of(p.intent.label, p.queries) if p.intent else None, first.get(p.id))
        for p in posts if needs_answer(p, accounts)
    ]  # fmt: skip
    return sorted(out, key=lambda w: (w.post.published_at, w.post.id))


def _thread_above(
    reply: EnrichedMention, by_native: Mapping[tuple[str, str], EnrichedMention]
) -> list[EnrichedMention]:
    """The known posts `reply` answers, its parent first, up the thread (cycles cut)."""
    chain: list[EnrichedMention] = []
    seen = {reply.id}
    parent = reply.in_reply_to
    while parent is not None:
        found = by_native.get((reply.source_kind, parent))
        if found is None or found.id in seen:
            break
        chain.append(found)
        seen.add(found.id)
        parent = found.in_reply_to
    return chain


@dataclass(frozen=True)
class ReplyTimes:
    """First-reply times of one team's answered posts of one week."""

    team: str | None
    week: str  # ISO week in the tenant's zone, e.g. 2026-W45
    answered: int
    median: timedelta
    p90: timedelta


def iso_week(at: datetime, zone: ZoneInfo) -> str:
    """The ISO week of `at` in `zone`, e.g. 2026-W45."""
    year, week, _ = at.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def reply_times(waiting: Iterable[Waiting], zone: ZoneInfo) -> list[ReplyTimes]:
    """Median and p90 first-reply time per (team, week) of the answered posts, by week then
    team; unanswered posts are not counted (the inbox lists them)."""
    groups: dict[tuple[str, str | None], list[timedelta]] = defaultdict(list)
    for w in waiting:
        if w.reply_time is not None:
            groups[(iso_week(w.post.published_at, zone), w.team)].append(w.reply_time)
    return [
        ReplyTimes(team, week, len(times), nearest_rank(times, 0.5), nearest_rank(times, 0.9))
        for (week, team), times in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]


def nearest_rank(times: list[timedelta], q: float) -> timedelta:
    """The `q` quantile by nearest rank (the smallest value with at least q of all at or
    below it); `times` must not be empty."""
    ordered = sorted(times)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]
