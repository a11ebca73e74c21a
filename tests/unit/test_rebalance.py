"""PartitionChanges: the net change a group member must act on, from the listener's calls."""

from kafka.structs import TopicPartition

from runtime.rebalance import PartitionChanges

P0, P1, P2 = (TopicPartition("t", n) for n in range(3))


def test_first_assignment_is_all_gained() -> None:
    changes = PartitionChanges()
    changes.on_partitions_assigned([P0, P1])
    assert changes.change({P0, P1}) == (set(), {P0, P1})
    changes.settle(set(), {P0, P1})
    assert changes.change({P0, P1}) == (set(), set())


def test_eager_revoke_all_then_assign_back_keeps_what_stayed() -> None:
    changes = PartitionChanges()
    changes.on_partitions_assigned([P0, P1, P2])
    changes.settle(set(), {P0, P1, P2})
    changes.on_partitions_revoked([P0, P1, P2])
    changes.on_partitions_assigned([P0, P2])
    lost, gained = changes.change({P0, P2})
    assert (lost, gained) == ({P1}, set())
    changes.settle(lost, gained)
    assert changes.owned() == {P0, P2}


def test_a_partition_dropped_then_given_back_between_two_looks_is_lost_and_gained() -> None:
    """Another member may have read it meanwhile: its state must be rebuilt, not kept."""
    changes = PartitionChanges()
    changes.on_partitions_assigned([P0, P1])
    changes.settle(set(), {P0, P1})
    changes.on_partitions_revoked([P0, P1])
    changes.on_partitions_assigned([P0])  # P1 went to someone else...
    changes.on_partitions_revoked([P0])
    changes.on_partitions_assigned([P0, P1])  # ...and came back before the owner looked
    assert changes.change({P0, P1}) == ({P1}, {P1})


def test_lost_by_eviction_is_lost_even_if_assigned_again() -> None:
    changes = PartitionChanges()
    changes.on_partitions_assigned([P0])
    changes.settle(set(), {P0})
    changes.on_partitions_lost([P0])
    changes.on_partitions_assigned([P0])
    assert changes.change({P0}) == ({P0}, {P0})


def test_failed_take_up_is_offered_again() -> None:
    changes = PartitionChanges()
    changes.on_partitions_assigned([P0])
    lost, _gained = changes.change({P0})
    changes.settle(lost, set())  # on_assign raised: gained not settled
    assert changes.change({P0}) == (set(), {P0})


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_partitions_revoked(self, revoked: object) -> None:
        self.calls.append("revoked")

    def on_partitions_assigned(self, assigned: object) -> None:
        self.calls.append("assigned")

    def on_partitions_lost(self, lost: object) -> None:
        self.calls.append("lost")


def test_the_inner_listener_hears_every_call() -> None:
    inner = Recorder()
    changes = PartitionChanges(inner)  # type: ignore[arg-type]
    changes.on_partitions_assigned([P0])
    changes.on_partitions_revoked([P0])
    changes.on_partitions_lost([P0])
    assert inner.calls == ["assigned", "revoked", "lost"]
