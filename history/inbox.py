"""The inbox of a tenant: posts that wait for an answer, oldest first (`veille inbox`).

Read through the tenant's read alias only (history/search.py): the posts of the look-back
window that may need an answer (an intent that can) and every reply (a brand account's reply
is itself an indexed mention when the account is watched). history/response.py decides what
needs an answer and what answered it; a post answered by a brand reply is not in the inbox.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from elasticsearch import Elasticsearch

from history.response import Waiting, waiting_posts
from history.search import MentionFilter, iterate
from runtime.display import safe_line
from schemas.config import ElasticsearchSettings, TenantSettings
from schemas.enriched import EnrichedMention

MAY_NEED_ANSWER = ["service_request", "question", "complaint"]


def waiting_in(
    client: Elasticsearch, settings: ElasticsearchSettings, tenant: TenantSettings,
    now: datetime, since: timedelta,
) -> list[Waiting]:  # fmt: skip
    """Every post of the last `since` that needs an answer, answered or not, oldest first."""
    where = MentionFilter.checked(
        tenant.id,
        now - since,
        now,
        now,
        any_of=({"terms": {"intent.label": MAY_NEED_ANSWER}}, {"exists": {"field": "in_reply_to"}}),
    )
    mentions = (EnrichedMention.model_validate(s)
                for s in iterate(client, settings, where, None))  # fmt: skip
    return waiting_posts(mentions, tenant.brand_accounts, tenant.response,
                         ZoneInfo(tenant.timezone))  # fmt: skip


def unanswered(
    client: Elasticsearch, settings: ElasticsearchSettings, tenant: TenantSettings,
    now: datetime, since: timedelta, team: str | None = None,
) -> list[Waiting]:  # fmt: skip
    """The tenant's posts of the last `since` that wait for an answer at `now`, oldest first;
    with `team`, only those of that team."""
    waiting = waiting_in(client, settings, tenant, now, since)
    return [w for w in waiting if w.first_reply is None and (team is None or w.team == team)]


def inbox_lines(waiting: list[Waiting], now: datetime, width: int = 60) -> Iterator[str]:
    """A table: age, intent, followers, team, late (past its due time) or not, link, text."""
    yield f"{'age':>7}  {'intent':<15}  {'reach':>7}  {'team':<12}  {'late':<4}  link  text\n"
    for w in waiting:
        post = w.post
        intent = post.intent.label if post.intent else ""
        late = "yes" if w.overdue(now) else ""
        yield (f"{_age(w.age(now)):>7}  {intent:<15}  {post.author.followers or 0:>7}  "
               f"{w.team or '':<12}  {late:<4}  {post.url or ''}  "
               f"{safe_line(post.text, width)}\n")  # fmt: skip


def _age(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{days}d{hours:02d}h" if days else f"{hours}h{minutes:02d}"
