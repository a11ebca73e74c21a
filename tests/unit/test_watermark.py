"""The live worker's event-time watermark, with an injected clock."""

from kafka.structs import TopicPartition

from alerts.watermark import PartitionWatermarks

TOPIC = "mentions.enriched"
P0, P1, P2 = (TopicPartition(TOPIC, p) for p in range(3))
OTHER = TopicPartition("alerts.commands", 0)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_slowest_partition_with_records_to_deliver_holds_the_watermark() -> None:
    caught_up: set[TopicPartition] = set()
    marks = PartitionWatermarks(TOPIC, lambda tp: tp in caught_up, idle_after_s=10, clock=Clock())
    marks.observe(0, 1_000.0)
    assert marks.current({P0, P1, OTHER}) is None  # P1 has delivered nothing yet
    marks.observe(1, 400.0)
    marks.observe(0, 2_000.0)
    assert marks.current({P0, P1, OTHER}) == 400.0
    marks.observe(1, 300.0)  # out of order inside P1: the greatest seen stands
    assert marks.current({P0, P1}) == 400.0


def test_a_caught_up_partition_stops_holding_back_only_once_idle() -> None:
    clock = Clock()
    caught_up = {P1}
    marks = PartitionWatermarks(TOPIC, lambda tp: tp in caught_up, idle_after_s=10, clock=clock)
    marks.observe(0, 2_000.0)
    marks.observe(1, 400.0)
    assert marks.current({P0, P1}) == 400.0  # caught up for 0 s: still holds
    clock.now = 9.9
    assert marks.current({P0, P1}) == 400.0
    clock.now = 10.0
    assert marks.current({P0, P1}) == 2_000.0  # idle now
    caught_up.clear()  # records arrive again: it holds again
    assert marks.current({P0, P1}) == 400.0


def test_a_burst_reaching_one_partition_first_does_not_make_the_others_idle() -> None:
    """All partitions idle for a while (an upstream worker was starting); then records reach
    P0 first. P1 and P2 must keep holding until the input has been quiet again."""
    clock = Clock()
    caught_up = {P0, P1, P2}
    marks = PartitionWatermarks(TOPIC, lambda tp: tp in caught_up, idle_after_s=10, clock=clock)
    assert marks.current({P0, P1, P2}) is None
    clock.now = 30.0  # everything has been caught up for 30 s
    caught_up.discard(P0)
    marks.observe(0, 2_400.0)  # the burst's newest mention lands first
    caught_up.add(P0)
    assert marks.current({P0, P1, P2}) is None  # P1, P2 still hold: their records may follow
    clock.now = 35.0
    marks.observe(1, 100.0)
    marks.observe(2, 160.0)
    assert marks.current({P0, P1, P2}) == 100.0  # all have delivered: the slowest holds
    clock.now = 45.0
    assert marks.current({P0, P1, P2}) == 2_400.0  # quiet for 10 s: all idle


def test_a_partition_without_records_stops_holding_after_the_cap() -> None:
    clock = Clock()
    caught_up = {P1}
    marks = PartitionWatermarks(TOPIC, lambda tp: tp in caught_up, idle_after_s=10, clock=clock)
    for second in range(0, 61, 5):  # P0 delivers all the time; P1 never gets a record
        clock.now = float(second)
        marks.observe(0, 1_000.0 + second)
        result = marks.current({P0, P1})
    assert result == 1_060.0  # after 6 × 10 s, P1 no longer holds


def test_when_every_partition_is_idle_the_watermark_is_the_latest_seen() -> None:
    clock = Clock()
    marks = PartitionWatermarks(TOPIC, lambda tp: True, idle_after_s=5, clock=clock)
    marks.observe(0, 100.0)
    marks.observe(2, 900.0)
    marks.current({P0, P1, P2})
    clock.now = 5.0
    assert marks.current({P0, P1, P2}) == 900.0
