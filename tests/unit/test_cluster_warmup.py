"""Rebuilding the near-duplicate clusters: `restore` continues the indexed stories, and
`ClusterWarmup` rebuilds a tenant once per gained partition, forgets it when the partition is
lost, and fails loudly (for the batch to be retried) when Elasticsearch cannot answer."""

from datetime import UTC, datetime, timedelta

import pytest
from kafka.structs import TopicPartition

from enrich.clusters import ClusterMember, NearDuplicateClusters
from enrich.warmup import ClusterRebuildFailed, ClusterWarmup, indexed_members
from runtime.indices import make_client
from schemas.config import ElasticsearchSettings
from tests.helpers import free_port

T0 = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
ANGRY = "Trois heures d'attente au téléphone chez Air Volaris, inadmissible, plus jamais."
OTHER = "Air Volaris ouvre une ligne Nantes-Lisbonne au printemps"
P0, P1 = TopicPartition("raw", 0), TopicPartition("raw", 1)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def story(count: int, first: int = 0) -> list[ClusterMember]:
    """Copies m<first>…, as indexed: cluster m0, sizes first+1 … first+count."""
    return [
        ClusterMember(f"m{i}", f"{ANGRY} #{i}", at(i), "m0", i + 1)
        for i in range(first, first + count)
    ]


def test_a_copy_after_a_restore_joins_the_indexed_story_and_grows_it() -> None:
    clusters = NearDuplicateClusters()
    lone = ClusterMember("o0", OTHER, at(1), "o0", 1)
    assert clusters.restore("t", [*story(2), lone, *story(1, first=2)]) == 4
    copy = clusters.assign("t", "m9", ANGRY.upper(), at(10))
    assert (copy.cluster_id, copy.size, copy.growth) == ("m0", 4, 3)
    assert clusters.assign("t", "o1", OTHER + " !", at(11)).cluster_id == "o0"


def test_a_redelivered_mention_keeps_its_indexed_cluster_and_is_counted_once() -> None:
    clusters = NearDuplicateClusters()
    clusters.restore("t", story(3))
    again = clusters.assign("t", "m1", "text no longer looked at", at(1))
    assert (again.cluster_id, again.size) == ("m0", 3)


def test_the_newest_members_alone_carry_the_story_size_on() -> None:
    clusters = NearDuplicateClusters()
    clusters.restore("t", story(5, first=95))  # m95…m99 of a story of 100
    assert clusters.assign("t", "m100", ANGRY, at(100)).size == 101


def test_an_updated_first_mention_does_not_inflate_the_size() -> None:
    clusters = NearDuplicateClusters()
    members = story(3)  # the first one was indexed again with the size of a later update
    members[0] = ClusterMember("m0", members[0].text, at(0), "m0", 3)
    clusters.restore("t", members)
    assert clusters.assign("t", "m3", ANGRY, at(3)).size == 4


def test_restore_replaces_one_tenant_and_keeps_the_bounds() -> None:
    clusters = NearDuplicateClusters(max_representatives=2)
    clusters.assign("t", "x0", ANGRY, at(0))
    clusters.assign("u", "y0", ANGRY, at(0))
    clusters.restore("t", story(6))
    assert clusters.representatives_of("t") == ["m0", "m1"]
    assert clusters.representatives_of("u") == ["y0"]  # another tenant is left alone
    assert clusters.assign("t", "x1", ANGRY, at(7)).cluster_id == "m0"  # x0 was replaced
    clusters.forget("t")
    assert len(clusters) == 1 and clusters.representatives_of("t") == []


class FakeIndex:
    """Stands in for Elasticsearch: what each tenant had indexed, and the look-ups made."""

    def __init__(self, indexed: dict[str, list[ClusterMember]]) -> None:
        self.indexed = indexed
        self.loads: list[str] = []
        self.down = False

    def load(self, tenant: str) -> list[ClusterMember]:
        if self.down:
            raise ClusterRebuildFailed("Elasticsearch is down")
        self.loads.append(tenant)
        return self.indexed.get(tenant, [])


def warmup(index: FakeIndex) -> tuple[NearDuplicateClusters, ClusterWarmup]:
    clusters = NearDuplicateClusters()
    return clusters, ClusterWarmup(clusters, index.load)


def test_each_tenant_is_rebuilt_once_on_first_sight() -> None:
    index = FakeIndex({"t": story(3)})
    clusters, warm = warmup(index)
    warm.on_partitions_assigned({P0, P1})
    warm.prepare([("t", P0), ("t", P0), ("u", P1)])
    warm.prepare([("t", P0)])
    assert index.loads == ["t", "u"] and warm.current() == {"t", "u"}
    assert clusters.assign("t", "m3", ANGRY, at(3)).cluster_id == "m0"


def test_a_partition_kept_through_a_rebalance_keeps_its_state() -> None:
    index = FakeIndex({"t": story(3)})
    clusters, warm = warmup(index)
    warm.prepare([("t", P0)])
    clusters.assign("t", "m3", ANGRY, at(3))  # not indexed yet: only this worker knows it
    warm.on_partitions_revoked({P0, P1})  # eager rebalancing revokes everything…
    warm.on_partitions_assigned({P0})  # …and P0 comes back
    warm.prepare([("t", P0)])
    assert index.loads == ["t"]
    assert clusters.assign("t", "m4", ANGRY, at(4)).size == 5


def test_a_lost_partition_is_forgotten_and_rebuilt_when_it_comes_back() -> None:
    index = FakeIndex({"t": story(3), "u": []})
    clusters, warm = warmup(index)
    warm.prepare([("t", P0), ("u", P1)])
    warm.on_partitions_revoked({P0, P1})
    warm.on_partitions_assigned({P1})  # another worker clusters t's mentions meanwhile
    warm.prepare([("u", P1)])
    assert warm.current() == {"u"} and clusters.representatives_of("t") == []
    index.indexed["t"] = story(6)  # what the other worker indexed
    warm.on_partitions_revoked({P1})
    warm.on_partitions_assigned({P0, P1})
    warm.prepare([("t", P0)])
    assert index.loads == ["t", "u", "t"]
    assert clusters.assign("t", "m6", ANGRY, at(6)).size == 7


def test_partitions_lost_to_the_group_are_rebuilt_even_if_assigned_back() -> None:
    index = FakeIndex({"t": story(3)})
    _, warm = warmup(index)
    warm.prepare([("t", P0)])
    warm.on_partitions_lost({P0})
    warm.on_partitions_assigned({P0})
    warm.prepare([("t", P0)])
    assert index.loads == ["t", "t"]


def test_elasticsearch_down_raises_and_the_tenant_is_tried_again() -> None:
    index = FakeIndex({"t": story(3)})
    clusters, warm = warmup(index)
    index.down = True
    with pytest.raises(ClusterRebuildFailed):
        warm.prepare([("t", P0)])
    assert warm.current() == set()
    index.down = False
    warm.prepare([("t", P0)])
    assert clusters.assign("t", "m3", ANGRY, at(3)).cluster_id == "m0"


def unreachable() -> ElasticsearchSettings:
    return ElasticsearchSettings(hosts=[f"http://127.0.0.1:{free_port()}"], request_timeout_s=2)


def test_indexed_members_from_an_unreachable_elasticsearch_fail_loudly() -> None:
    settings = unreachable()
    client = make_client(settings).options(max_retries=0)
    with pytest.raises(ClusterRebuildFailed, match="agence-horizon"):
        indexed_members(client, settings, "agence-horizon", timedelta(hours=48), limit=100)


def test_a_rebuild_of_nothing_asks_elasticsearch_nothing() -> None:
    settings = unreachable()
    client = make_client(settings)
    assert indexed_members(client, settings, "t", timedelta(hours=48), limit=0) == []
