"""Warm-up: the detector keeps its state (baselines, open incidents) in memory. On start, the
alert worker rebuilds it by feeding the last `alerts.warmup_days` of enriched mentions from the
tenants' read aliases in Elasticsearch through the detector, in event-time order, discarding the
transitions: they were published (and paged) before the restart, under the same
deterministic incident ids. Mentions that Kafka then redelivers fall into buckets the warm-up
already judged — counted as late, never twice — or into open ones, where an id counts once.

`warm_up_brand` does the same for one (tenant, brand) alone — what an alert worker does for
each brand it gains in a rebalance (alerts/brands.py): it reads only that brand's mentions
(`brands` term) and files them for that brand only, and only those published before `until`,
the event time of the first mention the worker will read on the brand's partition (its
group's committed offset): what lies beyond the committed offset is read again from Kafka.
The index worker reads on its own and usually runs ahead of the alert group, but not always
(a restart under load, Elasticsearch slow): the alert worker rebuilds a gained partition only
once the index group has committed up to the resume point (`IndexBehind` until then,
retried; veille/runner.py), and refreshes the tenant's index first. Its
transitions from `REPUBLISH_S` before that point on are returned, to be published again:
the previous owner may not have closed those buckets before it died (its watermark lags its
input); incident ids are deterministic and the notifier pages an incident once, so a repeat
is absorbed. Stated gaps: a mention published after `until` but read before the committed
offset (disorder within the partition) is in neither; the index writes a mention once, under
its primary brand's partition, so the index group's offset on a partition does not vouch
for the other brands' copies of its mentions.

A mention whose event time ingest would refuse now (schemas/event_time.py: too far ahead of
the wall clock, or too old) is skipped and counted, never fed: one post dated in the year 9999
in the index must not drag the rebuilt event time there.
"""

import heapq
import logging
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import msgspec
from elasticsearch import Elasticsearch, NotFoundError

from alerts.detection.detector import AlertDetector
from alerts.detection.incidents import Transition
from alerts.detection.observation import Observation
from runtime.indices import mentions_alias
from schemas.config import ElasticsearchSettings, EventTimeSettings
from schemas.event_time import event_time_problem

log = logging.getLogger(__name__)

PAGE = 2_000
REPUBLISH_S = 3_600
"""How far before the resume point a rebuilt brand's transitions are published again."""
FIELDS = ["id", "tenant", "brands", "published_at", "sentiment.score", "sentiment.label",
          "virality.score", "author.followers", "text", "url", "cluster.id"]  # fmt: skip


class IndexBehind(RuntimeError):
    """The index group has not committed up to a gained partition's resume point: the
    mentions in between are neither in the index nor read again, so a rebuild now would miss
    them (an incident open at a crash never resolved). Transient: the rebuild is retried."""


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
    until: datetime | None = None,
    now: datetime | None = None,
) -> tuple[WarmedUp, list[Transition]]:
    """`warm_up` for one brand of one tenant, its mentions published before `until` (None:
    all), filed for it only; with the transitions to publish again (see the module)."""
    with suppress(NotFoundError):  # what the index committed is searchable (1 s refresh)
        client.indices.refresh(index=mentions_alias(settings, tenant))
    history = _history(client, mentions_alias(settings, tenant), since, brand, until)
    only = (msgspec.structs.replace(obs, brands=(brand,)) for obs in history)
    transitions: list[Transition] = []
    done = _feed(detector, only, event_time, now, transitions)
    last = until or (transitions[-1].at if transitions else None)
    again = [] if last is None else [
        t for t in transitions if t.at >= last - timedelta(seconds=REPUBLISH_S)
    ]  # fmt: skip
    log.info("alerts: %s/%s warmed up on %d mention(s) since %s until %s; %d skipped (event "
             "time refused); %d transition(s) published again", tenant, brand, done.fed,
             since.isoformat(), until.isoformat() if until else "the end", done.skipped,
             len(again))  # fmt: skip
    return done, again


class _Stamp(msgspec.Struct):
    published_at: datetime


def published_at_of(value: bytes) -> datetime | None:
    """The event time of an enriched mention's JSON (the resume point); None if not one."""
    try:
        return msgspec.json.decode(value, type=_Stamp).published_at
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _feed(
    detector: AlertDetector,
    observations: Iterator[Observation],
    event_time: EventTimeSettings,
    now: datetime | None,
    transitions: list[Transition] | None = None,
) -> WarmedUp:
    """Feed in order; the transitions go to `transitions` if given, else nowhere."""
    now = now or datetime.now(UTC)
    out: list[Transition] = [] if transitions is None else transitions
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
        out.extend(detector.observe(obs, watermark))
        count += 1
    if count:
        out.extend(detector.advance(watermark))
    return WarmedUp(count, skipped)


def _history(
    client: Elasticsearch,
    index: str,
    since: datetime,
    brand: str | None = None,
    until: datetime | None = None,
) -> Iterator[Observation]:
    window = {"gte": since.isoformat()} | ({"lt": until.isoformat()} if until else {})
    query: dict[str, Any] = {"range": {"published_at": window}}
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
