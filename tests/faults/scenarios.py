"""The injected faults of `make faults`, each returning rows: fault | expected | observed.

Every scenario runs on servers of its own, on 127.0.0.1: a noida-db (Kafka protocol and
Elasticsearch API) in a temporary directory, and tansu where a killed member must expire.
A row is good when observed == expected; the runner (tests/faults/__main__.py) prints the
table and exits 1 on any difference.
"""

import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.deadletter import DeadLetterLimitExceeded
from runtime.indices import make_client, mentions_alias
from runtime.kafka import DurableProducer, make_producer
from schemas.config import StackSettings, VeilleConfig
from schemas.topics import Topics, raw_key
from tests.helpers import (
    TANSU_CONSUMER,
    committed_offsets,
    free_port,
    make_config,
    mention,
    produce,
    produce_raw,
    read_topic,
    start_cli_worker,
    wait_until,
    write_config,
)
from tests.tansu import TansuBroker
from veille.runner import group_id, prepare, start_workers
from veille.stack import EmbeddedStack, _binary


@dataclass(frozen=True)
class Row:
    fault: str
    expected: str
    observed: str

    @property
    def ok(self) -> bool:
        return self.expected == self.observed


@dataclass(frozen=True)
class Servers:
    noida: EmbeddedStack
    tansu: TansuBroker
    work: Path

    def noida_config(self, **extra: object) -> VeilleConfig:
        return make_config(self.noida.kafka_bootstrap, self.noida.elasticsearch_url,
                           enrich={"scorer": "lexicon"}, **extra)  # fmt: skip

    def tansu_config(self, **extra: Any) -> VeilleConfig:
        return make_config(self.tansu.bootstrap, self.noida.elasticsearch_url,
                           {**TANSU_CONSUMER, "max_poll_records": 20},
                           enrich={"scorer": "lexicon"}, **extra)  # fmt: skip

    def noida_db(self, *args: str) -> None:
        """`noida-db <args…>` on this suite's noida-db (stop/start a service, …)."""
        command = [_binary("noida-db"), *args, "--data-dir", str(self.noida.data_dir)]
        subprocess.run(command, capture_output=True, check=True, timeout=60)


@contextmanager
def servers(work: Path) -> Iterator[Servers]:
    stack = EmbeddedStack(StackSettings(data_dir=str(work / "noida"), kafka_port=free_port(),
                                        elasticsearch_port=free_port()))  # fmt: skip
    stack.up()
    tansu = TansuBroker(free_port(), work / "tansu.log")
    tansu.start()
    try:
        yield Servers(stack, tansu, work)
    finally:
        tansu.stop()
        stack.down()


def indexed(config: VeilleConfig, tenant: str = "agence-horizon") -> list[str]:
    es = make_client(config.elasticsearch)
    index = mentions_alias(config.elasticsearch, tenant)
    if not es.indices.exists_alias(name=index):
        return []
    es.indices.refresh(index=index)
    found = es.search(index=index, size=10_000, source=False, query={"match_all": {}})
    return [hit["_id"] for hit in found["hits"]["hits"]]


def lost_doubled(expected: list[str], found: list[str]) -> str:
    lost = len(set(expected) - set(found))
    return f"{len(set(found))} indexed, {lost} lost, {len(found) - len(set(found))} doubled"


def raw_mentions(n: int, tag: str) -> list[str]:
    return [f"Air Volaris, {tag} numéro {i}" for i in range(n)]


# --- kill -9 of a worker mid-batch, then a restart (tansu expires the dead member) ---------


KILLED = {  # worker: (its command, the stages run in-process, the topic it writes)
    "enrich": (("enrich", "run"), ("stories", "index"), "scored"),
    "stories": (("enrich", "stories"), ("enrich", "index"), "enriched"),
    "index": (("enrich", "index"), ("enrich", "stories"), None),
}
REBUILT = "near-duplicate clusters rebuilt from"
"""What the stories stage logs when it rebuilds a tenant's clusters from the index."""


def kill_9(s: Servers, worker: str, n: int = 600) -> Row:
    """`worker` (enrich, stories or index) as its own process, killed with SIGKILL once
    output began; the other stages run in-process; a fresh process finishes the stream (the
    stories stage rebuilding its clusters from the index first)."""
    config = s.tansu_config()
    prepare(config)
    mentions = [mention(text, minute=i / 10) for i, text in enumerate(raw_mentions(n, worker))]
    command, others, writes = KILLED[worker]
    path = write_config(config, s.work / f"kill-{worker}.yaml")
    log = s.work / f"kill-{worker}.log"
    running = start_workers(config, others)
    try:
        process = start_cli_worker(path, log, *command)
        produce_raw(config, mentions)
        topic = getattr(Topics(config.kafka.topic_prefix), writes or "enriched")
        first = (lambda: read_topic(config, topic, 1, timeout_s=1)) if writes else (
            lambda: indexed(config))  # fmt: skip
        wait_until(first, timeout_s=90, what=f"{worker}'s first output")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        before = len(indexed(config))
        logged = len(log.read_bytes())
        process = start_cli_worker(path, log, *command)
        try:
            with suppress(AssertionError):  # the row says what is missing
                wait_until(lambda: len(indexed(config)) >= n, timeout_s=180, what=f"{n} indexed")
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        running.stop()
    observed = lost_doubled([m.id for m in mentions], indexed(config))
    expected = f"{n} indexed, 0 lost, 0 doubled"
    if worker == "stories":
        said = REBUILT in log.read_bytes()[logged:].decode(errors="replace")
        observed += f"; clusters {'rebuilt' if said else 'not rebuilt'} on restart"
        expected += "; clusters rebuilt on restart"
    return Row(f"kill -9 {worker} mid-stream ({before}/{n} indexed at the kill), restart",
               expected, observed)  # fmt: skip


# --- poison messages ---------------------------------------------------------------------


def poison(s: Servers, share: float, n: int) -> Row:
    """`share` of `n` raw messages are not JSON; enrich runs in-process."""
    config = s.noida_config()
    prepare(config)
    topics = Topics(config.kafka.topic_prefix)
    bad = int(n * share)
    values = [
        m.model_dump_json().encode()
        for m in (mention(t, minute=i / 10) for i, t in enumerate(raw_mentions(n - bad, "p")))
    ]
    values += [b"{poison %d" % i for i in range(bad)]
    random.Random(7).shuffle(values)
    produce(config, topics.raw, values, ["agence-horizon"] * n)
    running = start_workers(config, ("enrich",))
    try:
        wait_until(lambda: running.failures or (running.workers["enrich"].stats.batches
                   and committed_offsets(config, group_id(config, "enrich"), topics.raw) >= n),
                   timeout_s=120, what="the stream read or the worker stopped")  # fmt: skip
    finally:
        running.stop()
    failure = running.failures.get("enrich")
    if share < 0.5:
        letters = len(read_topic(config, topics.dlq, bad, timeout_s=20))
        enriched = len(read_topic(config, topics.scored, n - bad, timeout_s=20))
        observed = f"{letters} dead letters, {enriched} enriched, worker {_state(failure)}"
        expected = f"{bad} dead letters, {n - bad} enriched, worker running"
    else:
        observed = f"worker {_state(failure)}"
        expected = "worker stopped: DeadLetterLimitExceeded"
    return Row(f"poison messages at {share:.0%} of {n}", expected, observed)


def _state(failure: BaseException | None) -> str:
    return "running" if failure is None else f"stopped: {type(failure).__name__}"


assert DeadLetterLimitExceeded.__name__ == "DeadLetterLimitExceeded"  # the name rows print


# --- the search engine down --------------------------------------------------------------


def search_engine_down(s: Servers, down_s: float, n: int = 300) -> list[Row]:
    """The index worker runs; Elasticsearch stops for `down_s` while `n` more mentions come."""
    config = s.noida_config()
    prepare(config)
    topics = Topics(config.kafka.topic_prefix)
    first = [mention(t, minute=i) for i, t in enumerate(raw_mentions(n, "avant"))]
    second = [mention(t, minute=i) for i, t in enumerate(raw_mentions(n, "pendant"))]
    group = group_id(config, "index")
    running = start_workers(config, ("enrich", "stories", "index"))
    try:
        produce_raw(config, first)
        wait_until(lambda: len(indexed(config)) >= n, timeout_s=120, what="the first mentions")
        s.noida_db("stop", "elasticsearch")
        produce_raw(config, second)
        time.sleep(down_s)
        committed_while_down = committed_offsets(config, group, topics.enriched)
        s.noida_db("start", "elasticsearch")
        with suppress(AssertionError):  # the row below says what is missing
            wait_until(lambda: len(indexed(config)) >= 2 * n, timeout_s=180, what="the backlog")
    finally:
        running.stop()
    ids = [m.id for m in first + second]
    down = f"search engine down {down_s:.0f} s"
    return [
        Row(f"{down}: offsets committed while down", f"{n}", f"{committed_while_down}"),
        Row(f"{down}, then back: backlog", lost_doubled(ids, ids),
            lost_doubled(ids, indexed(config))),
]  # fmt: skip


# --- the broker restarted, acknowledged messages counted ----------------------------------


def acked_then(s: Servers, what: str, interrupt: Callable[[], None], n: int = 2000) -> Row:
    """Produce `n` raw mentions in flushes of 20 (acks=all), counting each acknowledged one;
    `interrupt` runs half-way; then count what the topic holds of the acknowledged."""
    config = s.noida_config(kafka={"bootstrap_servers": s.noida.kafka_bootstrap,
                                   "topic_prefix": f"f{random.randrange(10**8)}.",
                                   "retention_ms": 3_600_000})  # fmt: skip
    prepare(config)
    topic = Topics(config.kafka.topic_prefix).raw
    acked: list[str] = []
    done = threading.Event()

    def load() -> None:
        producer = DurableProducer(make_producer(config.kafka, "fault-load"))
        for start in range(0, n, 20):
            batch = [mention(f"Air Volaris charge {i}", minute=i / 100)
                     for i in range(start, start + 20)]  # fmt: skip
            for m in batch:
                producer.send(topic, raw_key(m), m.model_dump_json().encode())
            try:
                producer.flush(timeout_s=30)
                acked.extend(m.id for m in batch)
            except Exception:  # not acknowledged: not counted
                pass
        producer.close()
        done.set()

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    wait_until(lambda: len(acked) >= n // 2, timeout_s=120, what="half the load")
    interrupt()
    thread.join(timeout=300)
    from schemas.mention import Mention

    present = {Mention.model_validate_json(v).id for v in read_topic(config, topic, len(acked),
                                                                     timeout_s=30)}  # fmt: skip
    lost = len(set(acked) - present)
    return Row(f"{what} under load ({len(acked)} acknowledged)", "0 acknowledged lost",
               f"{lost} acknowledged lost")  # fmt: skip


def broker_restarted(s: Servers) -> Row:
    return acked_then(s, "broker restarted (noida-db restart kafka)",
                      lambda: s.noida_db("restart", "kafka"))  # fmt: skip


def stack_down_up(s: Servers) -> Row:
    def bounce() -> None:
        s.noida.down()
        s.noida.up()

    return acked_then(s, "graceful `veille stack down` then `up`", bounce)


def bare_noida_down_up(s: Servers) -> Row:
    """Diagnostic (not in the default run): noida-db's own `down`, without stopping its
    services first, as `veille stack down` did before; it lost acknowledged messages."""

    def bounce() -> None:
        s.noida_db("down")
        s.noida.up()

    return acked_then(s, "bare `noida-db down` then up (diagnostic)", bounce)
