"""Aggregations over one tenant's read alias: volume by sentiment per interval in the tenant's
time zone, share of voice, top terms, top authors, top stories.

Volume buckets are `date_range` buckets whose bounds are computed here, day by day or hour by
hour in the tenant's zone (zoneinfo), so a day is the tenant's day, 23 or 25 hours across a
DST change. Not `date_histogram` with `time_zone`: noida-db 0.2.3 ignores its `time_zone`
(measured: buckets at UTC midnight); `date_range` is exact on both engines.
Top terms: `significant_text` on the text (what is unusual in the selection against the whole
history) where the engine has it; noida-db has neither it nor `significant_terms`, and there
a plain `terms` on the analysed text is used — the answer says which (`method`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from elasticsearch import BadRequestError, Elasticsearch

from history.search import MentionFilter, check_own
from runtime.indices import mentions_alias
from schemas.config import ElasticsearchSettings

Interval = Literal["hour", "day"]
LABELS = ("negative", "neutral", "positive")


def bucket_bounds(start: datetime, end: datetime, interval: Interval, zone: str) -> list[datetime]:
    """Bucket starts (aware, in `zone`) covering [start, end), aligned on the zone's local
    hours or midnights, the first at or before `start`."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    first = local.replace(minute=0, second=0, microsecond=0)
    if interval == "day":
        first = first.replace(hour=0)
    bounds = [first]
    while bounds[-1] < end:
        last = bounds[-1]
        if interval == "hour":  # in UTC: a local hour repeated at DST's end is two buckets
            step = (last.astimezone(ZoneInfo("UTC")) + timedelta(hours=1)).astimezone(tz)
        else:  # the next local midnight (wall clock), whatever the day's length
            step = (last.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=tz)
        bounds.append(step)
    return bounds


def _search(client: Elasticsearch, settings: ElasticsearchSettings, where: MentionFilter,
            aggs: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    found = client.search(index=mentions_alias(settings, where.tenant), size=0,
                          query=where.to_elasticsearch(), aggs=aggs)  # fmt: skip
    result: dict[str, Any] = found["aggregations"]
    return result


@dataclass(frozen=True)
class VolumeBucket:
    start: datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def volume(client: Elasticsearch, settings: ElasticsearchSettings, where: MentionFilter,
           interval: Interval, zone: str) -> list[VolumeBucket]:  # fmt: skip
    """Mentions per bucket and sentiment label, the buckets local to `zone`."""
    bounds = bucket_bounds(where.start, where.end, interval, zone)
    ranges = [{"key": str(i), "from": a.isoformat(), "to": b.isoformat()}
              for i, (a, b) in enumerate(pairwise(bounds))]  # fmt: skip
    aggs = {"v": {"date_range": {"field": "published_at", "ranges": ranges},
                  "aggs": {"s": {"terms": {"field": "sentiment.label", "size": 3}}}}}  # fmt: skip
    buckets = _search(client, settings, where, aggs)["v"]["buckets"]
    by_key = {b["key"]: b for b in buckets}
    out = []
    for i, start in enumerate(bounds[:-1]):
        found = by_key.get(str(i), {"s": {"buckets": []}})
        counts = dict.fromkeys(LABELS, 0) | {s["key"]: s["doc_count"]
                                             for s in found["s"]["buckets"]}  # fmt: skip
        out.append(VolumeBucket(start, counts))
    return out


def net_sentiment(counts: dict[str, int]) -> float | None:
    """Net sentiment, in [-100, 100]: 100 × (positive − negative) / (positive + negative).
    Neutral mentions do not dilute it; None when there is no opinion at all."""
    opinions = counts.get("positive", 0) + counts.get("negative", 0)
    if not opinions:
        return None
    return 100 * (counts.get("positive", 0) - counts.get("negative", 0)) / opinions


def share_of_voice(client: Elasticsearch, settings: ElasticsearchSettings, where: MentionFilter,
                   brands: list[str]) -> dict[str, float]:  # fmt: skip
    """Each brand's share of the mentions of all `brands` (own and competitors), in [0, 1]."""
    aggs = {"b": {"terms": {"field": "brands", "size": max(len(brands), 1),
                            "include": brands}}}  # fmt: skip
    counts = {b["key"]: b["doc_count"] for b in _search(client, settings, where, aggs)["b"][
        "buckets"]}  # fmt: skip
    total = sum(counts.get(b, 0) for b in brands)
    return {b: (counts.get(b, 0) / total if total else 0.0) for b in brands}


def top_terms(client: Elasticsearch, settings: ElasticsearchSettings, where: MentionFilter,
              size: int = 10) -> tuple[str, list[tuple[str, int]]]:  # fmt: skip
    """(method, [(term, mentions)]): significant_text where the engine has it, else terms."""
    try:
        aggs = {"t": {"significant_text": {"field": "text", "size": size,
                                           "filter_duplicate_text": True}}}  # fmt: skip
        found = _search(client, settings, where, aggs)
        method = "significant_text"
    except BadRequestError as exc:
        if "significant_text" not in str(exc):
            raise
        found = _search(client, settings, where, {"t": {"terms": {"field": "text", "size": size}}})
        method = "terms (this engine has no significant_text)"
    return method, [(b["key"], b["doc_count"]) for b in found["t"]["buckets"]]


def top_authors(client: Elasticsearch, settings: ElasticsearchSettings, where: MentionFilter,
                size: int = 10) -> list[tuple[str, int]]:  # fmt: skip
    found = _search(client, settings, where,
                    {"a": {"terms": {"field": "author.handle", "size": size}}})  # fmt: skip
    return [(b["key"], b["doc_count"]) for b in found["a"]["buckets"]]


def top_stories(client: Elasticsearch, settings: ElasticsearchSettings, where: MentionFilter,
                size: int = 10) -> list[dict[str, Any]]:  # fmt: skip
    """The most viral mentions, one per story (near-duplicate cluster, else the mention)."""
    found = client.search(index=mentions_alias(settings, where.tenant), size=size * 5,
                          query=where.to_elasticsearch(),
                          sort=[{"virality.score": "desc"}, {"id": "desc"}])  # fmt: skip
    hits: list[dict[str, Any]] = found["hits"]["hits"]
    check_own(settings, where.tenant, hits)
    stories: dict[str, dict[str, Any]] = {}
    for hit in hits:
        source = hit["_source"]
        story = (source.get("cluster") or {}).get("id") or source["id"]
        stories.setdefault(story, source)
    return list(stories.values())[:size]
