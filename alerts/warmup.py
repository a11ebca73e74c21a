"""Warm-up: the detector keeps its state (baselines, open incidents) in memory. On start, the
alert worker rebuilds it by feeding the last `alerts.warmup_days` of enriched mentions from the
tenants' read aliases in Elasticsearch through the detector, in event-time order, discarding the
transitions: they were published (and paged) before the restart, under the same
deterministic incident ids. Mentions that Kafka then redelivers fall into buckets the warm-up
already judged — counted as late, never twice — or into open ones, where an id counts once.

`warm_up_brand` does the same for one (tenant, brand) alone — what an alert worker does for
each brand it gains in a rebalance (alerts/brands.py): it reads only that brand's mentions
(`brands` term) and files them for that brand only.

A mention whose event time ingest would refuse now (schemas/event_time.py: too far ahead of
the wall clock, or too old) is skipped and counted, never fed: one post dated in the year 9999
in the index must not drag the rebuilt event time there.
"""

import heapq
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec
from elasticsearch import Elasticsearch, NotFoundError

from alerts.detection.detector import AlertDetector
from alerts.detection.observation import Observation
from runtime.indices import mentions_alias
from schemas.config import ElasticsearchSettings, EventTimeSettings
from schemas.event_time import event_time_problem

log = logging.getLogger(__name__)

PAGE = 2_000
FIELDS = ["id", "tenant", "brands", "published_at", "sentiment.score", "sentiment.label",
          "virality.score", "author.followers", "text", "url", "cluster.id"]  # fmt: skip


class WarmedUp(NamedTuple):
    fed: int
    skipped: int  # refused by the event-time rule


def warm_up(
    detector: AlertDetector,
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    tenants: list[str],
    since: datetime,
    event_time: EventTimeSettings,
    now: datetime | None = None,
) -> WarmedUp:
    """Feed every tenant's mentions published since `since` whose event time is believable
    at `now` (the wall clock by default); say how many were fed and skipped."""
    streams = [_history(client, mentions_alias(settings, tenant), since) for tenant in tenants]
    done = _feed(detector, heapq.merge(*streams, key=lambda o: o.published_at), event_time, now)
    log.info("alerts: warmed up on %d mention(s) since %s; %d skipped (event time refused)",
             done.fed, since.isoformat(), done.skipped)  # fmt: skip
    return done


def warm_up_brand(
    detector: AlertDetector,
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    tenant: str,
    brand: str,
    since: datetime,
    event_time: EventTimeSettings,
    now: datetime | None = None,
) -> WarmedUp:
    """`warm_up` for one brand of one tenant: its mentions only, filed for it only."""
    history = _history(client, mentions_alias(settings, tenant), since, brand)
    only = (msgspec.structs.replace(obs, brands=(brand,)) for obs in history)
    done = _feed(detector, only, event_time, now)
    log.info("alerts: %s/%s warmed up on %d mention(s) since %s; %d skipped (event time "
             "refused)", tenant, brand, done.fed, since.isoformat(), done.skipped)  # fmt: skip
    return done


def _feed(
    detector: AlertDetector,
    observations: Iterator[Observation],
    event_time: EventTimeSettings,
    now: datetime | None,
) -> WarmedUp:
    now = now or datetime.now(UTC)
    count = skipped = 0
    watermark = float("-inf")
    for obs in observations:
        problem = event_time_problem(obs.published_at, now, event_time)
        if problem is not None:
            skipped += 1
            log.warning("alerts warm-up: skipped mention %s: %s", obs.id, problem)
            continue
        epoch = obs.published_at.timestamp()
        watermark = max(watermark, epoch)
        detector.observe(obs, watermark)
        count += 1
    if count:
        detector.advance(watermark)
    return WarmedUp(count, skipped)


def _history(
    client: Elasticsearch, index: str, since: datetime, brand: str | None = None
) -> Iterator[Observation]:
    query: dict[str, Any] = {"range": {"published_at": {"gte": since.isoformat()}}}
    if brand is not None:
        query = {"bool": {"filter": [query, {"term": {"brands": brand}}]}}
    after: list[Any] | None = None
    while True:
        try:
            page = client.search(
                index=index,
                size=PAGE,
                query=query,
                sort=[{"published_at": "asc"}, {"id": "asc"}],
                source={"includes": FIELDS},
                search_after=after,
            )
        except NotFoundError:
            return  # no mention indexed yet for this tenant
        hits = page["hits"]["hits"]
        for hit in hits:
            yield msgspec.convert(hit["_source"], Observation, strict=False)
        if len(hits) < PAGE:
            return
        after = hits[-1]["sort"]
