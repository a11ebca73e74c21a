"""How an idle stream worker paces its polls (runtime/idle.py) and reads the offset watch's
answers (runtime/offset_watch.py): pure logic, no broker."""

import struct
import threading
import time

from kafka.structs import TopicPartition

from runtime.idle import FIRST_WAIT_S, WATCHED_CEILING_S, IdleWait
from runtime.offset_watch import latest_offsets, list_offsets_request
from schemas.config import WorkerSettings


class _Watch:
    """Stands in for an OffsetWatch: answers `wake` and records the waits asked."""

    def __init__(self, wake: bool) -> None:
        self.wake = wake
        self.waits: list[float] = []

    def wait(self, timeout_s: float, stop: threading.Event) -> bool:
        self.waits.append(timeout_s)
        return self.wake


def _pauses(idle: IdleWait, empty_polls: int) -> list[float]:
    pauses = []
    for _ in range(empty_polls):
        idle.after_poll(False)
        pauses.append(idle.pause_s())
    return pauses


def test_pauses_double_from_the_first_wait_up_to_the_idle_interval() -> None:
    idle = IdleWait(WorkerSettings(idle_poll_interval_ms=150), threading.Event(), None)
    assert idle.pause_s() == 0.0  # nothing polled yet: poll at once
    pauses = _pauses(idle, 10)
    assert pauses[:4] == [FIRST_WAIT_S, 2 * FIRST_WAIT_S, 4 * FIRST_WAIT_S, 8 * FIRST_WAIT_S]
    assert pauses[-1] == 0.150 and max(pauses) == 0.150
    assert pauses == sorted(pauses)


def test_records_bring_back_to_back_polls() -> None:
    idle = IdleWait(WorkerSettings(), threading.Event(), None)
    _pauses(idle, 6)
    idle.after_poll(True)
    assert idle.pause_s() == 0.0
    idle.after_poll(False)
    assert idle.pause_s() == FIRST_WAIT_S


def test_with_a_watch_the_pauses_grow_past_the_idle_interval() -> None:
    watch = _Watch(wake=False)
    idle = IdleWait(WorkerSettings(idle_poll_interval_ms=150), threading.Event(), watch)
    assert max(_pauses(idle, 40)) == WATCHED_CEILING_S  # a poll every few seconds at most
    assert not idle.poll_due()  # just polled: the loop's next turn does not poll again
    assert idle.wait(until=0.0) is False and not watch.waits  # the deadline is past: no wait


def test_a_poll_is_due_once_the_pause_is_over() -> None:
    idle = IdleWait(WorkerSettings(), threading.Event(), _Watch(wake=False))
    assert idle.poll_due()  # never polled
    idle.after_poll(False)
    assert not idle.poll_due()  # FIRST_WAIT_S to go
    time.sleep(2 * FIRST_WAIT_S)
    assert idle.poll_due()
    idle.after_poll(True)
    assert idle.poll_due()  # records: poll again at once
    unwatched = IdleWait(WorkerSettings(), threading.Event(), None)
    unwatched.after_poll(False)
    assert unwatched.poll_due()  # each turn of the loop polls; `wait` paces the rest


def test_a_wake_from_the_watch_restarts_the_pacing() -> None:
    watch = _Watch(wake=True)
    idle = IdleWait(WorkerSettings(), threading.Event(), watch)
    _pauses(idle, 8)
    assert idle.wait(until=time.monotonic() + 0.5) is False
    assert 0 < watch.waits[0] <= 0.5
    assert idle.pause_s() == 0.0 and idle.poll_due()  # records on their way: poll at once


def test_a_stopped_worker_ends_its_wait() -> None:
    stop = threading.Event()
    stop.set()
    idle = IdleWait(WorkerSettings(), stop, None)
    idle.after_poll(False)
    assert idle.wait(until=time.monotonic() + 10) is True


def _answer(topics: dict[str, list[tuple[int, int, int]]]) -> bytes:
    """A ListOffsets v1 answer (after its size): partition, error code, offset."""
    body = struct.pack(">ii", 0, len(topics))
    for topic, partitions in topics.items():
        body += struct.pack(">h", len(topic)) + topic.encode() + struct.pack(">i", len(partitions))
        for partition, error, offset in partitions:
            body += struct.pack(">ihqq", partition, error, -1, offset)
    return body


def test_latest_offsets_are_read_and_partitions_in_error_left_out() -> None:
    answer = _answer({"t.raw": [(0, 0, 12), (1, 6, -1), (2, 0, 0)], "t.in": [(0, 0, 7)]})
    assert latest_offsets(answer) == {
        TopicPartition("t.raw", 0): 12, TopicPartition("t.raw", 2): 0,
        TopicPartition("t.in", 0): 7,
    }  # fmt: skip


def test_the_request_asks_for_the_latest_offset_of_each_partition() -> None:
    request = list_offsets_request([TopicPartition("b", 1), TopicPartition("a", 0),
                                    TopicPartition("b", 0)])  # fmt: skip
    (size,) = struct.unpack_from(">i", request)
    assert size == len(request) - 4
    api_key, version, _correlation, client_length = struct.unpack_from(">hhih", request, 4)
    assert (api_key, version) == (2, 1)  # ListOffsets v1
    at = 4 + 10 + client_length
    replica, topics = struct.unpack_from(">ii", request, at)
    assert (replica, topics) == (-1, 2)
    asked = []
    at += 8
    for _ in range(topics):
        (length,) = struct.unpack_from(">h", request, at)
        topic = request[at + 2 : at + 2 + length].decode()
        (count,) = struct.unpack_from(">i", request, at + 2 + length)
        at += 6 + length
        for _ in range(count):
            partition, timestamp = struct.unpack_from(">iq", request, at)
            asked.append((topic, partition, timestamp))
            at += 12
    assert at == len(request)
    assert asked == [("a", 0, -1), ("b", 0, -1), ("b", 1, -1)]  # -1: the latest offset
