"""Keys by (tenant, brand): the stories stage sends one copy per brand, the indexer writes the
primary brand's copy only, the alert stage files a copy for its brand alone and rebuilds /
forgets brands with their partitions."""

from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from kafka.partitioner.default import DefaultPartitioner
from kafka.structs import TopicPartition

from alerts.brands import BrandDetectors
from alerts.detection.detector import AlertDetector
from alerts.stage import AlertInput, AlertStage
from alerts.watermark import PartitionWatermarks
from enrich.indexer import _indexed_copy
from enrich.stage import StoriesStage
from runtime.kafka import partition_of
from runtime.stream import Received
from schemas.config import DetectionSettings, EventTimeSettings
from schemas.enriched import EnrichedMention, ScoredMention
from schemas.topics import brand_key, brand_of_key, primary_brand
from tests.helpers import enriched, mention


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None, bytes]] = []

    def send(self, topic: str, key: str | None, value: bytes) -> None:
        self.sent.append((topic, key, value))

    def flush(self, timeout_s: float | None = None) -> None:
        return


def record(key: str | None, value: bytes = b"", partition: int = 0) -> ConsumerRecord:
    return ConsumerRecord(
        topic="enriched", partition=partition, leader_epoch=-1, offset=0, timestamp=0,
        timestamp_type=0, key=None if key is None else key.encode(), value=value, headers=[],
        checksum=None, serialized_key_size=-1, serialized_value_size=-1,
        serialized_header_size=-1,
    )  # fmt: skip


def two_brands() -> EnrichedMention:
    m = mention("Air Volaris contre Lumen").model_copy(update={"brands": ["zeta", "alpha"]})
    return enriched(m, -0.5)


def test_brand_keys_round_trip_and_other_keys_are_none() -> None:
    assert brand_of_key(brand_key("t", "b").encode()) == ("t", "b")
    assert brand_of_key(b"06dd45c5f2895a65bbf7d7373ef9e1f4") is None  # a mention id
    assert brand_of_key(None) is None
    assert primary_brand(two_brands()) == "alpha"


def test_stories_sends_one_copy_per_brand_keyed_by_it() -> None:
    e = two_brands()
    scored = ScoredMention(**e.model_dump(include=set(ScoredMention.model_fields) - {"scored_at"}),
                           scored_at=e.enriched_at)  # fmt: skip
    producer = Recorder()
    StoriesStage(producer, "out").handle([Received(record("agence-horizon"), scored)])  # type: ignore[arg-type]
    keys = [key for _, key, _ in producer.sent]
    assert keys == [brand_key("agence-horizon", "zeta"), brand_key("agence-horizon", "alpha")]
    assert len({value for *_, value in producer.sent}) == 1  # the same value each


def test_the_indexer_writes_the_primary_copy_and_old_keys() -> None:
    e = two_brands()
    assert _indexed_copy(Received(record(brand_key(e.tenant, "alpha")), e))
    assert not _indexed_copy(Received(record(brand_key(e.tenant, "zeta")), e))
    assert _indexed_copy(Received(record(e.id), e))  # keyed by mention id (before): written


def alert_stage(partition_for: dict[tuple[str, str], int], warmed: list[str]) -> AlertStage:
    def warm(_detector: AlertDetector, tenant: str, brand: str, until: object) -> list[Any]:
        warmed.append(brand)
        return []

    detectors = BrandDetectors(
        lambda: AlertDetector(lambda _t, _b: DetectionSettings()), warm
    )  # fmt: skip
    watermarks = PartitionWatermarks("enriched", lambda _tp: False)
    return AlertStage(
        detectors, Recorder(), "incidents", None, watermarks, lambda: set(),  # type: ignore[arg-type]
        EventTimeSettings(), frozenset(partition_for),
        lambda b: TopicPartition("enriched", partition_for[b]),
    )  # fmt: skip


def test_alerts_rebuild_only_the_brands_gained_and_forget_those_lost() -> None:
    where = {("t", "a"): 0, ("t", "b"): 1, ("t", "c"): 1}
    warmed: list[str] = []
    stage = alert_stage(where, warmed)
    stage.on_assign({TopicPartition("enriched", 0), TopicPartition("commands", 1)})
    assert warmed == ["a"]  # only the enriched partition carries brands
    stage.on_assign({TopicPartition("enriched", 1)})
    assert warmed == ["a", "b", "c"]
    stage.on_revoke({TopicPartition("enriched", 1)})
    assert stage._detector.owned() == {("t", "a")}
    stage.on_assign({TopicPartition("enriched", 0), TopicPartition("enriched", 1)})
    assert warmed == ["a", "b", "c", "b", "c"]  # a kept, b and c rebuilt


def test_a_copy_is_filed_for_its_brand_alone() -> None:
    e = two_brands()
    stage = alert_stage({}, [])
    value: Any = AlertInput(e)
    stage.handle([Received(record(brand_key(e.tenant, "zeta")), value)])
    assert stage._detector.owned() == {(e.tenant, "zeta")}
    stage.handle([Received(record(e.id), value)])  # an old key: every brand
    assert stage._detector.owned() == {(e.tenant, "zeta"), (e.tenant, "alpha")}


class Cluster:
    """What kafka-python's DefaultPartitioner asks of the cluster metadata."""

    def topics(self) -> set[str]:
        return {"enriched"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(6))

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(6))


def test_partition_of_is_where_the_producer_sends_the_key() -> None:
    keys = [f"t/brand-{i}" for i in range(60)]
    partitioner = DefaultPartitioner()
    sent = [partitioner.partition("enriched", k, k.encode(), b"", b"", Cluster()) for k in keys]
    assert [partition_of(k, 6) for k in keys] == sent
    assert set(sent) == set(range(6))
