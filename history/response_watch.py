"""The response watch of one tenant, one tick at a time (`veille response watch` ticks it every
`response.watch_interval_s`; veille/response_worker.py sends what it returns).

A tick, at `now`:
1. reads the tenant's posts and replies of the last `response.lookback_hours` through its read
   alias (history/inbox.py) and decides with history/response.py what needs an answer;
2. writes a FirstReply for every answered post (id = the post's id: the same each tick) and,
   for every week those posts fall in, the team's WeekReplyTimes computed from *all* the
   FirstReply records of that week read back from the index (at most MAX_WEEK_REPLIES per
   tenant and week), so a post answered days ago still counts after it left the window;
3. returns the overdue posts not yet notified, one Pending per (team, open crisis or none),
   oldest first. A post is notified once per team per due time: `delivered` writes its
   OverdueNotice (op_type create) after the send, and the next tick skips the ids found.
   A crash between send and record sends it again (the notification id is the same, so
   a channel that de-duplicates drops the copy). A team without channels, and posts of no
   team, are never notified (the inbox shows them).
An overdue post pages (`page`) only when it belongs to an open crisis: an incident of kind
crisis open for one of its brands that cites it, or that it was published in (from the
incident's opening minus its window on); otherwise — a request left unanswered since the
day before, say — the message is a notice that pages nobody.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from elasticsearch import Elasticsearch, NotFoundError, helpers

from history.inbox import waiting_in
from history.reply_records import first_reply, overdue_notice, overdue_post, weeks_of
from history.response import Waiting
from runtime.indices import (
    TenantTemplates,
    bulk_options,
    incidents_alias,
    response_index,
    responses_alias,
)
from schemas.config import ElasticsearchSettings, TenantSettings
from schemas.incident import Incident
from schemas.reply_record import (
    FirstReply,
    OverdueDigest,
    OverdueNotice,
    WeekReplyTimes,
)

log = logging.getLogger(__name__)
MAX_WEEK_REPLIES = 10_000


@dataclass(frozen=True)
class Pending:
    """An overdue list to send to a team's channels, and the records that mark it sent."""

    id: str
    """Deterministic: the same list of the same team is the same notification."""
    digest: OverdueDigest
    channels: tuple[str, ...]
    notices: tuple[OverdueNotice, ...]


@dataclass(frozen=True)
class TickResult:
    replies: int
    weeks: list[WeekReplyTimes]
    pending: list[Pending]
    overdue: int = 0
    """Posts past their due time and still unanswered (notified before or not)."""


class ResponseWatch:
    def __init__(
        self, client: Elasticsearch, settings: ElasticsearchSettings, tenant: TenantSettings
    ) -> None:
        self._client = client
        self._settings = settings
        self.tenant = tenant
        self._zone = ZoneInfo(tenant.timezone)
        self._templates = TenantTemplates(client, settings)

    def tick(self, now: datetime) -> TickResult:
        self._templates.ensure({self.tenant.id})
        since = timedelta(hours=self.tenant.response.lookback_hours)
        waiting = waiting_in(self._client, self._settings, self.tenant, now, since)
        replies = [r for w in waiting if (r := first_reply(w, self._zone)) is not None]
        self._write([(r.id, r.published_at, r.model_dump(mode="json")) for r in replies], "index")
        weeks: list[WeekReplyTimes] = []
        if replies:
            self._client.indices.refresh(index=responses_alias(self._settings, self.tenant.id))
            weeks = weeks_of(self.tenant.id, self._replies_of({r.week for r in replies}),
                             self._zone, now)  # fmt: skip
            self._write([(w.id, w.week_start, w.model_dump(mode="json")) for w in weeks], "index")
        overdue = [w for w in waiting if w.overdue(now)]
        return TickResult(len(replies), weeks, self._pending(overdue, now), len(overdue))

    def delivered(self, pending: Pending) -> None:
        """Marks the list sent: its notices are created (one already there is kept)."""
        rows = [(n.id, n.published_at, n.model_dump(mode="json")) for n in pending.notices]
        self._write(rows, "create")

    def _write(self, rows: list[tuple[str, datetime, dict[str, Any]]], op: str) -> None:
        actions = ({"_op_type": op, "_id": doc_id, "_source": source,
                    "_index": response_index(self._settings, self.tenant.id, placed)}
                   for doc_id, placed, source in rows)  # fmt: skip
        for ok, item in helpers.streaming_bulk(
            self._client, actions, **bulk_options(self._settings),
            raise_on_error=False, raise_on_exception=True,
        ):  # fmt: skip
            outcome = next(iter(item.values()))
            if not ok and outcome.get("status") != 409:  # 409: created before, kept
                raise RuntimeError(f"response record {outcome.get('_id')} refused: {outcome}")

    def _search(self, alias: str, query: dict[str, Any], size: int) -> list[dict[str, Any]]:
        try:
            found = self._client.search(index=alias, query=query, size=size)
        except NotFoundError:  # nothing written yet for this tenant
            return []
        hits: list[dict[str, Any]] = found["hits"]["hits"]
        return [h["_source"] for h in hits]

    def _replies_of(self, weeks: set[str]) -> list[FirstReply]:
        query = {"bool": {"filter": [{"term": {"kind": "post"}},
                                     {"terms": {"week": sorted(weeks)}}]}}  # fmt: skip
        alias = responses_alias(self._settings, self.tenant.id)
        return [FirstReply.model_validate(s) for s in self._search(alias, query, MAX_WEEK_REPLIES)]

    def _open_crises(self) -> list[Incident]:
        query = {"bool": {"filter": [{"term": {"status": "open"}}, {"term": {"kind": "crisis"}}]}}
        found = self._search(incidents_alias(self._settings, self.tenant.id), query, 1000)
        return sorted((Incident.model_validate(s) for s in found), key=lambda i: i.opened_at)

    @staticmethod
    def _crisis_of(w: Waiting, crises: list[Incident]) -> str | None:
        """The open crisis the post belongs to (see the module docstring), if any."""
        for crisis in crises:
            since = crisis.opened_at - timedelta(minutes=crisis.window_minutes)
            cited = any(m.id == w.post.id for m in crisis.top_mentions)
            if crisis.brand in w.post.brands and (cited or w.post.published_at >= since):
                return crisis.id
        return None

    def _notified(self, ids: list[str]) -> set[str]:
        alias = responses_alias(self._settings, self.tenant.id)
        return {s["id"] for s in self._search(alias, {"ids": {"values": ids}}, len(ids))}

    def _pending(self, overdue: list[Waiting], now: datetime) -> list[Pending]:
        rules = self.tenant.response
        told = [w for w in overdue if (team := rules.team(w.team)) is not None and team.channels]
        if not told:
            return []
        crises = self._open_crises()
        notices = {}
        for w in told:
            notices[w.post.id] = (w, overdue_notice(w, self._zone, now, self._crisis_of(w, crises)))
        done = self._notified([n.id for _, n in notices.values()])
        groups: dict[tuple[str | None, str | None], list[tuple[Waiting, OverdueNotice]]] = {}
        for w, notice in notices.values():
            if notice.id not in done:
                groups.setdefault((w.team, notice.crisis), []).append((w, notice))
        out = []
        for (team_id, crisis), members in groups.items():
            team = rules.team(team_id)
            assert team is not None
            digest = OverdueDigest(tenant=self.tenant.id, team=team_id, page=crisis is not None,
                                   crisis=crisis, at=now,
                                   posts=[overdue_post(w) for w, _ in members])  # fmt: skip
            key = "\x1f".join(sorted(n.id for _, n in members))
            out.append(Pending(hashlib.sha256(key.encode()).hexdigest()[:32], digest,
                               tuple(team.channels), tuple(n for _, n in members)))  # fmt: skip
        return out
