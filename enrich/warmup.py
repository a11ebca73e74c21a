"""Warm-up of the near-duplicate clusters: a worker that starts, or gains a partition in a
rebalance, rebuilds the clusters of the tenants it now serves from Elasticsearch, so a copy
of a post clustered before (by itself or by the previous owner) joins the same story instead
of starting a new one.

Contract:
- Scope. The scored topic is keyed by tenant (`schemas.topics.scored_key`): a tenant's
  mentions come from one partition. A tenant is rebuilt the first time the worker meets one of its
  mentions after gaining that partition (at start, every partition is gained), before the
  mention is assigned; the rebuild replaces whatever the worker held for the tenant. A tenant
  whose partition the worker lost (revoked and not assigned back, or lost when the group
  dropped the worker) is forgotten: another worker may cluster its mentions meanwhile.
- What is read. The tenant's read alias (`<prefix>mentions-<tenant>.all`): its newest `limit`
  (`enrich.clusters.warmup_max_mentions`) mentions published within `max_age_hours` of its
  latest indexed mention — event time, not the wall clock, so a replay or a backlog warms the
  same — each with the cluster id and size it was indexed with (`NearDuplicateClusters.restore`).
- Cost, per rebuilt tenant: at most `limit` documents of five fields (id, text, published_at,
  cluster id and size), fetched newest first in pages of `PAGE` (one page past the window at
  most), and one MinHash each (about 0.2 ms); nothing when `limit` is 0.
- No index for the tenant: nothing was indexed yet, its clusters start empty (logged).
- Elasticsearch unreachable or failing: `ClusterRebuildFailed`, raised from the enrich
  stage's `handle`, so the worker logs it, rewinds and retries the batch after its backoff:
  no mention is clustered against state known to be incomplete, and the wait shows in the
  log. (The index and alert workers wait for Elasticsearch the same way.)
- Gap, stated: mentions enriched but not yet indexed when a tenant is rebuilt (the index
  worker's lag plus Elasticsearch's 1 s refresh) are not seen; a copy of a post seen only in
  that gap starts a new cluster.

The rebalance callbacks may run on kafka-python's network thread: they only record which
partitions were lost, under a lock; the worker's thread acts on it in `prepare`.
"""

import logging
import threading
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from kafka import ConsumerRebalanceListener
from kafka.structs import TopicPartition

from enrich.clusters import ClusterMember, NearDuplicateClusters
from runtime.indices import mentions_alias
from schemas.config import ElasticsearchSettings

log = logging.getLogger(__name__)

PAGE = 2_000
FIELDS = ["id", "text", "published_at", "cluster.id", "cluster.size"]


class ClusterRebuildFailed(RuntimeError):
    """Elasticsearch could not give a tenant's clustered mentions; retry later."""


class _IndexedCluster(msgspec.Struct):
    id: str
    size: int


class _Indexed(msgspec.Struct):
    id: str
    text: str
    published_at: datetime
    cluster: _IndexedCluster | None = None


def indexed_members(
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    tenant: str,
    max_age: timedelta,
    limit: int,
) -> list[ClusterMember]:
    """The tenant's newest `limit` indexed mentions published within `max_age` of its latest
    one, oldest first; [] without an index. Raises ClusterRebuildFailed if Elasticsearch fails.
    """
    index = mentions_alias(settings, tenant)
    newest_first: list[ClusterMember] = []
    since: datetime | None = None
    after: list[Any] | None = None
    while len(newest_first) < limit:
        size = min(PAGE, limit - len(newest_first))
        hits = _page(client, index, tenant, size, after)
        if hits is None:
            log.info("enrich: %s has no index yet: its clusters start empty", tenant)
            return []
        for hit in hits:
            try:
                doc = msgspec.convert(hit["_source"], _Indexed, strict=False)
            except msgspec.ValidationError as exc:  # not written by the index worker
                log.warning("enrich: %s: document %s skipped: %s", index, hit.get("_id"), exc)
                continue
            if since is None:  # the window ends at the latest indexed mention
                since = doc.published_at - max_age
            if doc.published_at < since:
                return newest_first[::-1]
            newest_first.append(_member(doc))
        if len(hits) < size:
            break
        after = hits[-1]["sort"]
    return newest_first[::-1]


def _page(
    client: Elasticsearch, index: str, tenant: str, size: int, after: list[Any] | None
) -> list[dict[str, Any]] | None:
    """One page, newest first; None if the index does not exist."""
    try:
        found = client.search(
            index=index,
            size=size,
            sort=[{"published_at": "desc"}, {"id": "desc"}],
            source={"includes": FIELDS},
            search_after=after,
        )
    except NotFoundError:
        return None
    except (ApiError, TransportError) as exc:
        raise ClusterRebuildFailed(
            f"cannot rebuild the near-duplicate clusters of {tenant} from Elasticsearch "
            f"({index}): {exc}"
        ) from exc
    hits: list[dict[str, Any]] = found["hits"]["hits"]
    return hits


def _member(doc: _Indexed) -> ClusterMember:
    cluster = doc.cluster or _IndexedCluster(doc.id, 1)  # enriched before clusters existed
    return ClusterMember(doc.id, doc.text, doc.published_at, cluster.id, cluster.size)


class ClusterWarmup(ConsumerRebalanceListener):  # type: ignore[misc]
    """Keeps the clusters of the tenants this worker serves rebuilt (see the module's contract).
    Subscribe the enrich consumer with it as the rebalance listener."""

    def __init__(
        self, clusters: NearDuplicateClusters, load: Callable[[str], list[ClusterMember]]
    ) -> None:
        self._clusters = clusters
        self._load = load
        self._lock = threading.Lock()
        self._revoked: set[TopicPartition] = set()
        self._lost: set[TopicPartition] = set()
        self._current: set[str] = set()
        """Tenants rebuilt since the worker gained their partition."""
        self._seen_on: dict[str, set[TopicPartition]] = {}

    def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        with self._lock:  # eager rebalancing revokes everything: lost if not assigned back
            self._revoked |= set(revoked)

    def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        with self._lock:
            self._lost |= self._revoked - set(assigned)
            self._revoked = set()

    def on_partitions_lost(self, lost: Collection[TopicPartition]) -> None:
        with self._lock:  # dropped by the group: others may have read them, even if they return
            self._lost |= set(lost)

    def prepare(self, mentions: Iterable[tuple[str, TopicPartition]]) -> None:
        """Before a batch of (tenant, partition read from) is assigned: forget the tenants of
        lost partitions, rebuild the tenants not current. Raises ClusterRebuildFailed."""
        with self._lock:
            lost, self._lost = self._lost, set()
        for tenant, partitions in list(self._seen_on.items()):
            if partitions & lost:
                self._clusters.forget(tenant)
                self._current.discard(tenant)
                del self._seen_on[tenant]
        for tenant, partition in mentions:
            self._seen_on.setdefault(tenant, set()).add(partition)
            if tenant not in self._current:
                members = self._load(tenant)
                remembered = self._clusters.restore(tenant, members)
                self._current.add(tenant)
                log.info(
                    "enrich: %s: near-duplicate clusters rebuilt from %d indexed mention(s) "
                    "(%d remembered)", tenant, len(members), remembered,
                )  # fmt: skip

    def current(self) -> set[str]:
        """Tenants whose clusters are rebuilt and kept up to date by this worker."""
        return set(self._current)
