"""Response-time records built from what history/response.py decided (pure: no I/O, the
clock given): a FirstReply per answered post, a WeekReplyTimes per team and week, an
OverdueNotice per post past its due time (schemas/reply_record.py has the contracts)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from history.response import Waiting, iso_week, nearest_rank
from runtime.display import safe_line
from schemas.reply_record import (
    FirstReply,
    OverdueNotice,
    OverduePost,
    WeekReplyTimes,
    overdue_id,
    week_reply_id,
)


def first_reply(w: Waiting, zone: ZoneInfo) -> FirstReply | None:
    """The record of an answered post; None while it is unanswered."""
    reply, post = w.first_reply, w.post
    if reply is None or w.reply_time is None or post.intent is None:
        return None
    return FirstReply(
        id=post.id, tenant=post.tenant, team=w.team, week=iso_week(post.published_at, zone),
        brands=post.brands, intent=post.intent.label, source_kind=post.source_kind,
        url=post.url, published_at=post.published_at, due_at=w.due,
        answered_at=reply.published_at, reply_id=reply.id,
        reply_seconds=w.reply_time.total_seconds(), on_time=reply.published_at <= w.due,
    )  # fmt: skip


def week_start(week: str, zone: ZoneInfo) -> datetime:
    """Monday 00:00 of an ISO week ('2026-W45') in `zone`."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return datetime.combine(monday, time(0), tzinfo=zone)


def weeks_of(
    tenant: str, replies: Iterable[FirstReply], zone: ZoneInfo, now: datetime
) -> list[WeekReplyTimes]:
    """Median and p90 (nearest rank) per (team, week) of the given answered posts: every
    FirstReply of those weeks must be given (the watch reads them back from the index)."""
    groups: dict[tuple[str, str | None], list[FirstReply]] = defaultdict(list)
    for r in replies:
        groups[(r.week, r.team)].append(r)
    out = []
    for (week, team), found in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        times = [timedelta(seconds=r.reply_seconds) for r in found]
        out.append(WeekReplyTimes(
            id=week_reply_id(tenant, team, week), tenant=tenant, team=team, week=week,
            week_start=week_start(week, zone), answered=len(found),
            answered_on_time=sum(r.on_time for r in found),
            median_seconds=nearest_rank(times, 0.5).total_seconds(),
            p90_seconds=nearest_rank(times, 0.9).total_seconds(), computed_at=now,
        ))  # fmt: skip
    return out


def overdue_notice(w: Waiting, zone: ZoneInfo, now: datetime, crisis: str | None) -> OverdueNotice:
    post = w.post
    assert post.intent is not None  # needs_answer: only posts with an intent wait
    return OverdueNotice(
        id=overdue_id(post.id, w.team, w.due.isoformat()), tenant=post.tenant, team=w.team,
        week=iso_week(post.published_at, zone), post_id=post.id, brands=post.brands,
        intent=post.intent.label, source_kind=post.source_kind, url=post.url,
        published_at=post.published_at, due_at=w.due, notified_at=now, crisis=crisis,
    )  # fmt: skip


def overdue_post(w: Waiting) -> OverduePost:
    post = w.post
    assert post.intent is not None
    return OverduePost(
        post_id=post.id, url=post.url, text=safe_line(post.text, 200), intent=post.intent.label,
        followers=post.author.followers or 0, published_at=post.published_at, due_at=w.due,
    )  # fmt: skip
