"""Near-duplicate clusters: 200 copies of one angry post are one story with a size.

Each mention's text is normalised (lower case, accents and URLs removed, punctuation to
spaces, whitespace collapsed), cut into character 5-gram shingles and summarised by a MinHash;
a MinHash LSH index per tenant finds earlier mentions whose estimated Jaccard similarity is at
least `threshold`. The mention joins the cluster of the most similar one, or starts its own.

Contract:
- Clusters never cross tenants (one LSH index per tenant).
- A cluster's id is the id of its first mention (as seen by the worker that started it); its
  size is the number of distinct mention ids assigned to it. Assigning a mention id it
  remembers (an engagement update, a redelivered or retried batch) returns the same cluster,
  counted once.
- Memory and time are bounded: at most `max_entries` mentions are remembered (the oldest seen
  go first), and mentions published more than `max_age` before the newest one seen are
  forgotten (checked from the oldest seen). Only `max_representatives` members of a cluster are
  in the LSH index at a time (when one is forgotten, the newest remembered member takes its
  place), so a story of 20,000 copies costs a query what a story of 8 does.
- State lives in the worker's memory, per tenant. The scored topic is keyed by tenant
  (`schemas.topics.scored_key`), so all copies of a post meet one worker whatever the number
  of stories workers. `forget(tenant)` drops a tenant's clusters (its partition went to another
  worker); `restore(tenant, members)` rebuilds them from mentions already clustered, with the
  cluster ids and sizes they were given (enrich/warmup.py reads them from Elasticsearch after a
  restart or a rebalance), so a copy arriving later joins the story it belongs to. Said in
  README.
"""

import bisect
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from datasketch import MinHash, MinHashLSH

SHINGLE_CHARS = 5
SCHEME = "affine32"  # datasketch ≥ 2.0's default permutation scheme, named since we reuse them
_URL = re.compile(r"https?://\S+|www\.\S+")
_NOT_WORD = re.compile(r"[^\w@#]+")


def normalise(text: str) -> str:
    """Lower case, no accents, no URLs, punctuation as spaces, single spaces."""
    text = _URL.sub(" ", text.lower())
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def shingles(text: str) -> set[str]:
    """Character 5-grams of the normalised text (the whole text if shorter)."""
    normal = normalise(text) or " ".join(text.lower().split())
    if len(normal) <= SHINGLE_CHARS:
        return {normal}
    return {normal[i : i + SHINGLE_CHARS] for i in range(len(normal) - SHINGLE_CHARS + 1)}


@dataclass(frozen=True)
class ClusterAssignment:
    cluster_id: str
    size: int
    growth: int
    """Other members published within the growth window ending at the reference time."""


@dataclass(frozen=True)
class ClusterMember:
    """A mention already assigned to a cluster (by this worker or a previous owner)."""

    mention_id: str
    text: str
    published_at: datetime
    cluster_id: str
    cluster_size: int
    """The cluster's size when this mention was last enriched."""


@dataclass
class _Cluster:
    id: str
    size: int = 0
    representatives: int = 0
    standby: dict[str, None] = field(default_factory=dict)
    """Remembered members not in the LSH index, oldest first: they replace representatives."""
    published: list[datetime] = field(default_factory=list)
    """Remembered members' publication times, sorted."""


@dataclass
class _Entry:
    tenant: str
    cluster: _Cluster
    minhash: MinHash
    published_at: datetime
    represents: bool = False
    """In the tenant's LSH index (at most `max_representatives` per cluster)."""


class NearDuplicateClusters:
    def __init__(
        self,
        threshold: float = 0.6,
        num_perm: int = 64,
        max_entries: int = 20_000,
        max_age: timedelta = timedelta(hours=48),
        growth_window: timedelta = timedelta(hours=1),
        max_representatives: int = 8,
    ) -> None:
        self._threshold = threshold
        self._num_perm = num_perm
        self._max_entries = max_entries
        self._max_age = max_age
        self._growth_window = growth_window
        self._max_representatives = max_representatives
        self._permutations = MinHash(num_perm=num_perm, seed=1, scheme=SCHEME).permutations
        self._indexes: dict[str, MinHashLSH] = {}
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def representatives_of(self, tenant: str) -> list[str]:
        """Ids of the tenant's mentions now in its LSH index, oldest seen first."""
        return [m for (t, m), e in self._entries.items() if t == tenant and e.represents]

    def forget(self, tenant: str) -> None:
        """Drop every mention and cluster of `tenant`."""
        for key in [k for k in self._entries if k[0] == tenant]:
            del self._entries[key]
        self._indexes.pop(tenant, None)

    def restore(self, tenant: str, members: Iterable[ClusterMember]) -> int:
        """Replace the tenant's clusters with `members`, given oldest first; return how many
        are remembered. A member keeps its cluster id (not looked up again); a cluster's size
        is the larger of its members' recorded sizes and the members given, so it goes on
        growing from where it was even when only the newest members are given. The bounds
        apply as to `assign` (the oldest given go first)."""
        self.forget(tenant)
        clusters: dict[str, _Cluster] = {}
        counts: dict[str, int] = {}
        for member in members:
            if (tenant, member.mention_id) in self._entries:
                continue
            cluster = clusters.setdefault(member.cluster_id, _Cluster(member.cluster_id))
            counts[cluster.id] = counts.get(cluster.id, 0) + 1
            cluster.size = max(cluster.size, counts[cluster.id], member.cluster_size)
            minhash = self._minhash(member.text)
            self._remember(tenant, member.mention_id, minhash, member.published_at, cluster)
        return sum(1 for t, _ in self._entries if t == tenant)

    def assign(
        self,
        tenant: str,
        mention_id: str,
        text: str,
        published_at: datetime,
        reference_at: datetime | None = None,
    ) -> ClusterAssignment:
        """The cluster of `mention_id`; `reference_at` (default `published_at`) ends the
        growth window, e.g. the time of an engagement update."""
        entry = self._entries.get((tenant, mention_id))
        if entry is None:
            entry = self._insert(tenant, mention_id, text, published_at)
        cluster = entry.cluster
        end = max(reference_at or published_at, published_at)
        start = end - self._growth_window
        times = cluster.published  # sorted
        in_window = bisect.bisect_right(times, end) - bisect.bisect_right(times, start)
        growth = max(0, in_window - (start < entry.published_at <= end))
        return ClusterAssignment(cluster.id, cluster.size, growth)

    def _minhash(self, text: str) -> MinHash:
        minhash = MinHash(
            num_perm=self._num_perm, seed=1, permutations=self._permutations, scheme=SCHEME
        )
        minhash.update_batch([s.encode("utf-8") for s in sorted(shingles(text))])
        return minhash

    def _insert(self, tenant: str, mention_id: str, text: str, published_at: datetime) -> _Entry:
        index = self._indexes.get(tenant)
        minhash = self._minhash(text)
        found = None if index is None else self._most_similar(tenant, index, minhash)
        cluster = found or _Cluster(mention_id)
        cluster.size += 1
        return self._remember(tenant, mention_id, minhash, published_at, cluster)

    def _remember(
        self,
        tenant: str,
        mention_id: str,
        minhash: MinHash,
        published_at: datetime,
        cluster: _Cluster,
    ) -> _Entry:
        """Add the mention to `cluster` (its size already counts it), then apply the bounds."""
        entry = _Entry(tenant, cluster, minhash, published_at)
        self._entries[(tenant, mention_id)] = entry
        bisect.insort(cluster.published, published_at)
        if cluster.representatives < self._max_representatives:
            self._represent(mention_id, entry)
        else:
            cluster.standby[mention_id] = None
        if self._newest is None or published_at > self._newest:
            self._newest = published_at
        self._evict()
        return entry

    def _represent(self, mention_id: str, entry: _Entry) -> None:
        index = self._indexes.get(entry.tenant)
        if index is None:
            index = MinHashLSH(threshold=self._threshold, num_perm=self._num_perm)
            self._indexes[entry.tenant] = index
        index.insert(mention_id, entry.minhash)
        entry.represents = True
        entry.cluster.representatives += 1

    def _most_similar(self, tenant: str, index: MinHashLSH, minhash: MinHash) -> _Cluster | None:
        best: tuple[float, str] | None = None
        for key in index.query(minhash):
            similarity = minhash.jaccard(self._entries[(tenant, key)].minhash)
            if similarity >= self._threshold and (
                best is None or (-similarity, key) < (-best[0], best[1])
            ):
                best = (similarity, key)
        return None if best is None else self._entries[(tenant, best[1])].cluster

    def _evict(self) -> None:
        horizon = None if self._newest is None else self._newest - self._max_age
        while self._entries:
            (tenant, mention_id), entry = next(iter(self._entries.items()))
            too_many = len(self._entries) > self._max_entries
            if not too_many and (horizon is None or entry.published_at >= horizon):
                break
            del self._entries[(tenant, mention_id)]
            cluster = entry.cluster
            del cluster.published[bisect.bisect_left(cluster.published, entry.published_at)]
            cluster.standby.pop(mention_id, None)
            if entry.represents:
                cluster.representatives -= 1
                index = self._indexes[tenant]
                index.remove(mention_id)
                if cluster.standby:  # the newest remembered member takes the place
                    newcomer = cluster.standby.popitem()[0]
                    self._represent(newcomer, self._entries[(tenant, newcomer)])
                elif index.is_empty():
                    del self._indexes[tenant]
