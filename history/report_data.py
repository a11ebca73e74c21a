"""The figures of the weekly report, read from one tenant's aliases.

Contract: a week is an ISO week (`2026-W47`) in the tenant's time zone, Monday 00:00 to the
next Monday 00:00 local time; a week still running is read up to `now`. Days are the tenant's
days (history/aggregations.py). Volume, sentiment and stories count the tenant's `own` brands;
share of voice sets them against its `competitor` brands. Net sentiment is docs/history.md's
formula. Per incident:
time to detect = `opened_at` − the earliest post it cites; time to resolve = `resolved_at` −
`opened_at`; time to acknowledge is not recorded by veille yet (None: "non suivi").
First-reply times per team: the response watch's week records of that ISO week
(schemas/reply_record.py: median and p90 by nearest rank, computed by the watch), read from
the tenant's responses alias; none when the watch has not run.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from elasticsearch import Elasticsearch

from history import aggregations
from history.aggregations import VolumeBucket
from history.search import MentionFilter
from runtime.indices import incidents_alias, responses_alias
from runtime.indices.names import parse_monthly
from schemas.config import ElasticsearchSettings, TenantSettings
from schemas.reply_record import WeekReplyTimes

_WEEK = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")


class ReportInputError(ValueError):
    """The week asked for cannot be reported; the message says why."""


def week_bounds(week: str | None, zone: str, now: datetime) -> tuple[str, datetime, datetime]:
    """(ISO week name, start, end) in `zone`; no week: the last complete one before `now`."""
    tz = ZoneInfo(zone)
    if week is None:
        year, number, _ = (now.astimezone(tz).date() - timedelta(days=7)).isocalendar()
    else:
        found = _WEEK.match(week)
        if found is None:
            raise ReportInputError(f"bad week {week!r}: use e.g. 2026-W47")
        year, number = int(found["year"]), int(found["week"])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ReportInputError(f"{year} has no week {number}") from None
    start = datetime.combine(monday, datetime.min.time(), tz)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tz)
    if start >= now:
        raise ReportInputError(f"week {year}-W{number:02d} has not started yet")
    return f"{year}-W{number:02d}", start, end


@dataclass(frozen=True)
class IncidentTimes:
    incident: dict[str, Any]
    to_detect: timedelta | None
    to_acknowledge: timedelta | None
    to_resolve: timedelta | None


@dataclass(frozen=True)
class WeeklyFigures:
    tenant: TenantSettings
    week: str
    start: datetime
    end: datetime
    days: list[VolumeBucket]
    previous_total: int
    share_of_voice: dict[str, float]
    stories: list[dict[str, Any]]
    incidents: list[IncidentTimes] = field(default_factory=list)
    reply_times: list[WeekReplyTimes] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {k: sum(d.counts[k] for d in self.days) for k in aggregations.LABELS}

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def net_sentiment(self) -> float | None:
        return aggregations.net_sentiment(self.totals)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def incident_times(found: dict[str, Any]) -> IncidentTimes:
    opened = _utc(found["opened_at"])
    cited = [_utc(m["published_at"]) for m in found.get("top_mentions") or []]
    resolved = _utc(found["resolved_at"]) if found.get("resolved_at") else None
    return IncidentTimes(
        found, opened - min(cited) if cited else None, None, resolved - opened if resolved else None
    )


def incidents(
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    tenant: str,
    start: datetime,
    end: datetime,
) -> list[IncidentTimes]:
    alias = incidents_alias(settings, tenant)
    if not client.indices.exists_alias(name=alias):
        return []
    found = client.search(
        index=alias,
        size=200,
        sort=[{"opened_at": "asc"}],
        query={"range": {"opened_at": {"gte": start.isoformat(), "lt": end.isoformat()}}},
    )
    hits = found["hits"]["hits"]
    if any(parse_monthly(settings, "incidents", tenant, h["_index"]) is None for h in hits):
        raise RuntimeError(f"an incident read for {tenant} returned another tenant's index")
    return [incident_times(h["_source"]) for h in hits]


def reply_times(
    client: Elasticsearch, settings: ElasticsearchSettings, tenant: str, week: str
) -> list[WeekReplyTimes]:
    alias = responses_alias(settings, tenant)
    if not client.indices.exists_alias(name=alias):
        return []
    query = {"bool": {"filter": [{"term": {"kind": "week"}}, {"term": {"week": week}}]}}
    hits = client.search(index=alias, size=200, query=query)["hits"]["hits"]
    if any(parse_monthly(settings, "responses", tenant, h["_index"]) is None for h in hits):
        raise RuntimeError(f"a response record read for {tenant} returned another tenant's index")
    found = [WeekReplyTimes.model_validate(h["_source"]) for h in hits]
    return sorted(found, key=lambda w: w.team or "")


def weekly_figures(
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    tenant: TenantSettings,
    week: str | None,
    now: datetime,
) -> WeeklyFigures:
    name, start, end = week_bounds(week, tenant.timezone, now)
    own = tuple(tenant.brand_ids("own"))
    where = MentionFilter(tenant.id, start, min(end, now), brands=own)
    before = MentionFilter(tenant.id, start - timedelta(days=7), start, brands=own)
    days = aggregations.volume(client, settings, where, "day", tenant.timezone)
    previous = aggregations.volume(client, settings, before, "day", tenant.timezone)
    everyone = MentionFilter(tenant.id, start, min(end, now))
    brands = [*own, *tenant.brand_ids("competitor")]
    return WeeklyFigures(
        tenant,
        name,
        start,
        end,
        days[:7],
        sum(d.total for d in previous),
        aggregations.share_of_voice(client, settings, everyone, brands),
        aggregations.top_stories(client, settings, where, size=5),
        incidents(client, settings, tenant.id, start, end),
        reply_times(client, settings, tenant.id, name),
    )
