"""Learning that records arrived without polling for them.

noida-db answers an empty fetch at once (it ignores `fetch_max_wait_ms`), so a consumer cannot
wait at the broker for its next records, and a kafka-python poll costs about 2 ms of CPU (its
I/O thread, coordinator and fetcher): too much to repeat every few milliseconds while idle.
Instead, one thread per process (`OffsetWatcher`) asks the partition leaders for the latest
offsets of the partitions its waiting workers own — one ListOffsets v1 request per leader,
encoded once, on a plain socket of its own — every `worker.offset_watch_interval_ms`, and
wakes a worker as soon as one of its partitions holds records past its position. While no
worker waits, the thread sleeps and asks nothing.

It only hints: nothing depends on it. A partition whose leader is unknown, a broker that
refuses the request, or a lost connection leaves the worker to its paced polls. Only for
PLAINTEXT listeners: SSL or SASL would need the client's handshakes, so there the worker polls
paced (runtime/idle.py).
"""

import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from schemas.config import KafkaSettings, WorkerSettings

log = logging.getLogger(__name__)

LIST_OFFSETS, VERSION, LATEST = 2, 1, -1
TIMEOUT_S = 0.2
"""Longest wait for a leader to connect or answer; past it the round is skipped."""

Address = tuple[str, int]


def _string(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">h", len(data)) + data


def list_offsets_request(partitions: Iterable[TopicPartition]) -> bytes:
    """A size-prefixed ListOffsets v1 request for the latest offset of each partition."""
    by_topic: dict[str, list[int]] = {}
    for tp in sorted(partitions):
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    body = struct.pack(">ii", -1, len(by_topic))  # replica id -1: a consumer; topic count
    for topic, numbers in by_topic.items():
        body += _string(topic) + struct.pack(">i", len(numbers))
        body += b"".join(struct.pack(">iq", number, LATEST) for number in numbers)
    header = struct.pack(">hhi", LIST_OFFSETS, VERSION, 0) + _string("veille-offset-watch")
    return struct.pack(">i", len(header) + len(body)) + header + body


def latest_offsets(answer: bytes) -> dict[TopicPartition, int]:
    """The latest offsets in a ListOffsets v1 answer (after its size), partitions in error
    left out."""
    offsets: dict[TopicPartition, int] = {}
    (topics,), at = struct.unpack_from(">i", answer, 4), 8  # after the correlation id
    for _ in range(topics):
        (length,) = struct.unpack_from(">h", answer, at)
        topic, at = answer[at + 2 : at + 2 + length].decode(), at + 2 + length
        (partitions,), at = struct.unpack_from(">i", answer, at), at + 4
        for _ in range(partitions):
            partition, error, _timestamp, offset = struct.unpack_from(">ihqq", answer, at)
            at += 22
            if error == 0:
                offsets[TopicPartition(topic, partition)] = offset
    return offsets


@dataclass(eq=False)
class _Waiter:
    leaders: dict[TopicPartition, Address]
    past: dict[TopicPartition, int]
    """Wake once a partition's latest offset is above this."""
    stop: threading.Event
    woken: threading.Event = field(default_factory=threading.Event)
    latest: dict[TopicPartition, int] = field(default_factory=dict)


class OffsetWatcher:
    """The thread that asks for the workers of one process (`shared_watcher`)."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._changed = threading.Condition()
        self._waiting: set[_Waiter] = set()
        self._sockets: dict[Address, socket.socket] = {}
        self._requests: dict[frozenset[TopicPartition], bytes] = {}
        self._answers: dict[Address, tuple[bytes, dict[TopicPartition, int]]] = {}
        """Each leader's last answer and its reading: an idle round's answer is the same bytes,
        so it is not read again."""
        self._thread = threading.Thread(target=self._run, name="offset-watch", daemon=True)
        self._thread.start()

    def watch(self, consumer: KafkaConsumer) -> "OffsetWatch":
        return OffsetWatch(self, consumer)

    def wait(self, waiter: _Waiter, timeout_s: float) -> bool:
        """Block until `waiter` is woken (True) or `timeout_s` passed (False)."""
        with self._changed:
            self._waiting.add(waiter)
            self._changed.notify()
        try:
            return waiter.woken.wait(timeout_s)
        finally:
            with self._changed:
                self._waiting.discard(waiter)

    def _run(self) -> None:
        """One round every interval while a worker waits. A round whose waiters and answers are
        those of the round before learns nothing new (only a stop is checked): an idle round is
        one request and one comparison of bytes per leader."""
        waiting: frozenset[_Waiter] = frozenset()
        plan: list[tuple[Address, bytes]] = []
        while True:
            with self._changed:
                while not self._waiting:
                    self._changed.wait()
                now_waiting = frozenset(self._waiting)
            if now_waiting != waiting:
                waiting, plan = now_waiting, self._plan(now_waiting)
                self._answers.clear()  # new waiters: every answer is read for them
            try:
                latest, changed = self._ask(plan)
            except Exception as exc:  # never let the thread die: waits would time out only
                log.warning("offset watch: round failed, workers fall back to paced polls: %r", exc)
                latest, changed = {}, True
            for waiter in waiting:
                if waiter.stop.is_set():
                    waiter.woken.set()
                elif changed and any(latest.get(tp, -1) > p for tp, p in waiter.past.items()):
                    waiter.latest = {tp: latest[tp] for tp in waiter.past if tp in latest}
                    waiter.woken.set()
            time.sleep(self._interval_s)

    def _plan(self, waiting: frozenset[_Waiter]) -> list[tuple[Address, bytes]]:
        """Each leader of the waiters' partitions, with its request (encoded once)."""
        by_leader: dict[Address, set[TopicPartition]] = {}
        for waiter in waiting:
            for tp, address in waiter.leaders.items():
                by_leader.setdefault(address, set()).add(tp)
        plan = []
        for address, partitions in by_leader.items():
            key = frozenset(partitions)
            if key not in self._requests:
                if len(self._requests) > 64:  # assignments come and go: keep the recent ones
                    self._requests.clear()
                self._requests[key] = list_offsets_request(key)
            plan.append((address, self._requests[key]))
        return plan

    def _ask(self, plan: list[tuple[Address, bytes]]) -> tuple[dict[TopicPartition, int], bool]:
        """The latest offsets the leaders answer, and whether any answer differs from the
        leader's answer of the round before (a leader that fails counts as changed)."""
        latest: dict[TopicPartition, int] = {}
        changed = False
        for address, request in plan:
            try:
                sock = self._sockets.get(address) or self._connect(address)
                sock.sendall(request)
                answer = _answer(sock)
            except (OSError, struct.error, UnicodeDecodeError):
                self._drop(address)
                changed = True
                continue
            last = self._answers.get(address)
            if last is None or last[0] != answer:
                try:
                    last = self._answers[address] = (answer, latest_offsets(answer))
                except (struct.error, UnicodeDecodeError):
                    self._drop(address)
                    changed = True
                    continue
                changed = True
            latest.update(last[1])
        return latest, changed

    def _connect(self, address: Address) -> socket.socket:
        sock = socket.create_connection(address, timeout=TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sockets[address] = sock
        return sock

    def _drop(self, address: Address) -> None:
        self._answers.pop(address, None)
        sock = self._sockets.pop(address, None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


class OffsetWatch:
    """One worker's use of the watcher, from the worker's own thread."""

    def __init__(self, watcher: OffsetWatcher, consumer: KafkaConsumer) -> None:
        self._watcher = watcher
        self._consumer = consumer
        self._owned: frozenset[TopicPartition] = frozenset()
        self._leaders: dict[TopicPartition, Address] = {}
        self._seen: dict[TopicPartition, int] = {}

    def wait(self, timeout_s: float, stop: threading.Event) -> bool:
        """Block up to `timeout_s` (less once `stop` is set); True if an owned partition has
        records past the consumer's position that no earlier wake already told of."""
        positions = self._consumer._subscription.all_consumed_offsets()  # no public accessor
        leaders = self._leaders_of(frozenset(positions))
        past = {tp: max(position.offset, self._seen.get(tp, -1))
                for tp, position in positions.items() if tp in leaders}  # fmt: skip
        if not past:
            stop.wait(timeout_s)
            return False
        waiter = _Waiter({tp: leaders[tp] for tp in past}, past, stop)
        woken = self._watcher.wait(waiter, timeout_s)
        self._seen.update(waiter.latest)
        return woken and not stop.is_set()

    def _leaders_of(self, owned: frozenset[TopicPartition]) -> dict[TopicPartition, Address]:
        if owned != self._owned or len(self._leaders) < len(owned):
            cluster = self._consumer._client.cluster  # no public accessor for leaders either
            self._owned, self._leaders = owned, {}
            for tp in owned:
                leader = cluster.leader_for_partition(tp)
                broker = cluster.broker_metadata(leader) if leader is not None else None
                if broker is not None and leader >= 0:
                    self._leaders[tp] = (broker.host, broker.port)
        return self._leaders


_watchers: dict[tuple[str, float], OffsetWatcher] = {}
_watchers_lock = threading.Lock()


def shared_watcher(bootstrap_servers: str, interval_s: float) -> OffsetWatcher:
    """The process's watcher for one cluster and interval, started on first use."""
    with _watchers_lock:
        key = (bootstrap_servers, interval_s)
        if key not in _watchers:
            _watchers[key] = OffsetWatcher(interval_s)
        return _watchers[key]


def offset_watch(
    consumer: KafkaConsumer, kafka: KafkaSettings, worker: WorkerSettings
) -> OffsetWatch | None:
    """`consumer`'s watch, or None where the listener is not PLAINTEXT or the watch is off."""
    if kafka.security_protocol != "PLAINTEXT" or not worker.offset_watch_interval_ms:
        return None
    interval_s = worker.offset_watch_interval_ms / 1000
    return shared_watcher(kafka.bootstrap_servers, interval_s).watch(consumer)


def _answer(sock: socket.socket) -> bytes:
    """One size-prefixed answer, without its size."""
    data = sock.recv(65536)
    while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the broker closed the connection")
        data += chunk
    return data[4:]
