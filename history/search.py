"""Mention search over one tenant's read alias: filters, validated time ranges, pages with
point-in-time + `search_after`, used by `veille search` and the HTTP API alike.

Contract:
- Every request names one tenant and reads only `runtime.indices.mentions_alias(tenant)`;
  a hit from any other index (a point-in-time id minted for another tenant) raises
  CrossTenantRead instead of being returned.
- Time ranges: `start < end`, and neither more than `FUTURE_SKEW` after now (SearchInputError).
- Order: newest first, ties broken by mention id (unique within a tenant), so pages of a
  point in time never skip or repeat a mention.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from history.translate import to_elasticsearch
from runtime.indices import mentions_alias, tenant_pattern
from runtime.indices.names import parse_monthly
from schemas.config import ElasticsearchSettings
from schemas.enriched import SentimentLabel

FUTURE_SKEW = timedelta(minutes=1)
SORT: list[dict[str, Any]] = [{"published_at": "desc"}, {"id": "desc"}]
KEEP_ALIVE = "2m"
_DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class SearchInputError(ValueError):
    """The request cannot be run as given; the message says what to change."""


class CrossTenantRead(RuntimeError):
    """A read returned a document of another tenant: refused, never shown."""


def parse_duration(text: str) -> timedelta:
    """`30m`, `24h`, `7d`, `2w` → timedelta; SearchInputError otherwise."""
    found = _DURATION.match(text.strip())
    if found is None or int(found["n"]) == 0:
        raise SearchInputError(f"bad duration {text!r}: use e.g. 30m, 24h, 7d or 2w")
    return timedelta(**{_UNITS[found["unit"]]: int(found["n"])})


@dataclass(frozen=True)
class MentionFilter:
    tenant: str
    start: datetime
    end: datetime
    query: str | None = None
    sentiment: SentimentLabel | None = None
    brands: tuple[str, ...] = ()
    any_of: tuple[dict[str, Any], ...] = ()
    """Elasticsearch clauses of which a mention must match one (none: no such condition)."""

    @classmethod
    def checked(cls, tenant: str, start: datetime, end: datetime, now: datetime,
                **rest: Any) -> "MentionFilter":  # fmt: skip
        """A filter whose time range is valid at `now`; SearchInputError otherwise."""
        if start.tzinfo is None or end.tzinfo is None:
            raise SearchInputError("times need a time zone (e.g. 2026-11-21T10:00:00+01:00)")
        if start >= end:
            raise SearchInputError(f"inverted time range: start {start.isoformat()} is not "
                                   f"before end {end.isoformat()}")  # fmt: skip
        if start > now + FUTURE_SKEW or end > now + FUTURE_SKEW:
            raise SearchInputError(f"time range in the future (now is {now.isoformat()})")
        return cls(tenant, start.astimezone(UTC), end.astimezone(UTC), **rest)

    def to_elasticsearch(self) -> dict[str, Any]:
        """The bool query; QueryError (with its position) if the brand query is invalid."""
        filters: list[dict[str, Any]] = [{"range": {"published_at": {
            "gte": self.start.isoformat(), "lt": self.end.isoformat()}}}]  # fmt: skip
        if self.sentiment:
            filters.append({"term": {"sentiment.label": self.sentiment}})
        if self.brands:
            filters.append({"terms": {"brands": list(self.brands)}})
        if self.any_of:
            filters.append({"bool": {"should": list(self.any_of), "minimum_should_match": 1}})
        must = [to_elasticsearch(self.query)] if self.query else []
        return {"bool": {"filter": filters, "must": must}}


def check_own(settings: ElasticsearchSettings, tenant: str, hits: list[dict[str, Any]]) -> None:
    """Raise CrossTenantRead unless every hit comes from one of the tenant's indices."""
    for hit in hits:
        if parse_monthly(settings, "mentions", tenant, hit["_index"]) is None:
            outside = tenant_pattern(settings, "mentions", tenant)
            raise CrossTenantRead(
                f"a read for {tenant} returned a document of {hit['_index']} (outside {outside})"
            )


@dataclass(frozen=True)
class Page:
    hits: list[dict[str, Any]]
    total: int
    pit: str | None
    after: list[Any] | None
    """Sort values of the last hit: pass back with `pit` for the next page; None at the end."""


def open_pit(client: Elasticsearch, settings: ElasticsearchSettings, tenant: str) -> str:
    """A point in time over the tenant's concrete indices, as its read alias resolves them
    (each checked to be the tenant's). Not on the alias itself: noida-db's point in time on
    an alias of several indices covers only one of them (checked on 0.2.3); naming the
    concrete indices is what Kibana's CSV export does on Elasticsearch too."""
    resolved = client.indices.get_alias(name=mentions_alias(settings, tenant))
    indices = sorted(resolved)
    check_own(settings, tenant, [{"_index": name} for name in indices])
    found = client.open_point_in_time(index=",".join(indices), keep_alive=KEEP_ALIVE)
    pit: str = found["id"]
    return pit


def page(client: Elasticsearch, settings: ElasticsearchSettings, where: MentionFilter,
         size: int, pit: str, after: list[Any] | None = None) -> Page:  # fmt: skip
    """One page of a point in time opened on the tenant's alias (`open_pit`)."""
    found = client.search(
        pit={"id": pit, "keep_alive": KEEP_ALIVE},
        query=where.to_elasticsearch(),
        sort=SORT,
        size=size,
        search_after=after,
        track_total_hits=True,
    )
    hits: list[dict[str, Any]] = found["hits"]["hits"]
    check_own(settings, where.tenant, hits)
    last = hits[-1]["sort"] if len(hits) == size else None
    return Page(hits, int(found["hits"]["total"]["value"]), found.get("pit_id", pit), last)


def iterate(client: Elasticsearch, settings: ElasticsearchSettings, where: MentionFilter,
            limit: int | None, page_size: int = 500) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Every matching mention's `_source`, newest first, up to `limit` (None: all), read
    through one point in time (closed at the end). None before the tenant's first mention is
    indexed: its indices and read alias do not exist until then."""
    try:
        pit = open_pit(client, settings, where.tenant)
    except NotFoundError:  # a tenant's first minutes (the response watch ticks at start)
        return
    sent = 0
    after: list[Any] | None = None
    try:
        while limit is None or sent < limit:
            size = page_size if limit is None else min(page_size, limit - sent)
            got = page(client, settings, where, size, pit, after)
            for hit in got.hits:
                yield hit["_source"]
            sent += len(got.hits)
            pit, after = got.pit or pit, got.after
            if after is None:
                return
    finally:
        client.close_point_in_time(id=pit)


def get_mention(
    client: Elasticsearch, settings: ElasticsearchSettings, tenant: str, mention_id: str
) -> dict[str, Any] | None:
    """One mention of the tenant by id, or None. An `ids` search on the read alias (a get on
    an alias of several monthly indices is refused by Elasticsearch)."""
    found = client.search(index=mentions_alias(settings, tenant),
                          query={"ids": {"values": [mention_id]}}, size=1)  # fmt: skip
    hits: list[dict[str, Any]] = found["hits"]["hits"]
    check_own(settings, tenant, hits)
    return hits[0]["_source"] if hits else None
