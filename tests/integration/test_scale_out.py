"""Scale-out on tansu (it expires a member killed without leaving its group): three worker
processes of one stage, one killed with SIGKILL mid-stream; the other two take its
partitions. Nothing lost, nothing doubled in the index (count and ids); the incidents are
those of the replay of the same mentions, none missed, none split in two."""

import os
import re
import signal
import subprocess
from collections import Counter
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from alerts.replay.command import replay
from bench.scenarios import enriched_line, generate
from runtime.indices import make_client, mentions_alias
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention
from schemas.incident import IncidentEvent
from schemas.topics import Topics, brand_key
from tests.helpers import (
    TANSU_CONSUMER,
    committed_offsets,
    make_config,
    mention,
    produce,
    produce_raw,
    read_topic,
    start_cli_worker,
    wait_until,
    workers,
    write_config,
)
from tests.tansu import TansuBroker
from veille.runner import group_id, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

OWNS = re.compile(r": owns (.*)$")


def owned(log: Path, topic: str) -> set[int] | None:
    """The partitions of `topic` a worker said it owns last (None: it never said)."""
    lines = [m.group(1) for line in log.read_text(errors="replace").splitlines()
             if (m := OWNS.search(line))]  # fmt: skip
    if not lines:
        return None
    return {int(p.rsplit(":", 1)[1]) for p in lines[-1].split() if p.rsplit(":", 1)[0] == topic}


def start(config_path: Path, logs: list[Path], *command: str) -> list[subprocess.Popen[bytes]]:
    return [start_cli_worker(config_path, log, *command) for log in logs]


def one_partition_each(logs: list[Path], topic: str) -> bool:
    owns = [owned(log, topic) for log in logs]
    return all(o is not None and len(o) == 1 for o in owns) and set().union(*owns) == {0, 1, 2}  # type: ignore[arg-type]


def kill(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill(process)


def index_ids(config: VeilleConfig) -> tuple[int, list[str]]:
    """(document count, ids) of the tenant's index."""
    es = make_client(config.elasticsearch)
    index = mentions_alias(config.elasticsearch, "agence-horizon")
    if not es.indices.exists(index=index):
        return 0, []
    es.indices.refresh(index=index)
    count = int(es.count(index=index)["count"])
    found = es.search(index=index, size=10_000, source=False, query={"match_all": {}})
    return count, [hit["_id"] for hit in found["hits"]["hits"]]


def tansu_config(stack: EmbeddedStack, tansu: TansuBroker, **extra: object) -> VeilleConfig:
    return make_config(tansu.bootstrap, stack.elasticsearch_url,
                       {**TANSU_CONSUMER, "max_poll_records": 20}, **extra)  # fmt: skip


def test_three_inference_workers_one_killed_the_others_take_its_partition(
    stack: EmbeddedStack, tansu: TansuBroker, tmp_path: Path
) -> None:
    """One tenant's mentions (keyed by mention id) spread over the three inference workers."""
    config = tansu_config(stack, tansu, enrich={"scorer": "lexicon"})
    topics = Topics(config.kafka.topic_prefix)
    prepare(config)
    path = write_config(config, tmp_path / "veille.yaml")
    logs = [tmp_path / f"enrich-{k}.log" for k in range(3)]
    n = 3000
    mentions = [mention(f"Air Volaris, retour numéro {i}", minute=i / 100) for i in range(n)]
    processes = start(path, logs, "enrich", "run")
    group = group_id(config, "enrich")
    try:
        with workers(config, "stories", "index"):
            wait_until(lambda: one_partition_each(logs, topics.raw), timeout_s=120,
                       what="three inference workers, one raw partition each")  # fmt: skip
            produce_raw(config, mentions[: n // 2])
            wait_until(lambda: len(read_topic(config, topics.scored, 30, timeout_s=1)) >= 30,
                       timeout_s=60, what="the first scored mentions")  # fmt: skip
            (victim,) = owned(logs[0], topics.raw) or {-1}
            kill(processes[0])
            # the rest after the kill: the lexicon scorer may have finished the first half
            # of the victim's partition already, so what it leaves behind is sure only so
            produce_raw(config, mentions[n // 2 :])
            left = behind(config, group, TopicPartition(topics.raw, victim))
            wait_until(lambda: index_ids(config)[0] >= n, timeout_s=300,
                       what=f"{n} indexed after the kill")  # fmt: skip
            wait_until(lambda: committed_offsets(config, group, topics.raw) >= n, timeout_s=60,
                       what="every raw offset committed")  # fmt: skip

            def shared() -> bool:  # the group may rebalance more than once
                survivors = [owned(log, topics.raw) or set() for log in logs[1:]]
                return survivors[0] | survivors[1] == {0, 1, 2}

            wait_until(shared, timeout_s=60, what="the two survivors to share every partition")
    finally:
        stop(processes)
    assert victim in {0, 1, 2}
    assert left > 0, "the killed worker's partition had nothing left to take over"
    count, ids = index_ids(config)
    assert count == n and sorted(ids) == sorted(m.id for m in mentions)  # ...0 lost, 0 doubled


def behind(config: VeilleConfig, group: str, tp: TopicPartition) -> int:
    """Records of `tp` past `group`'s committed offset."""
    consumer = KafkaConsumer(bootstrap_servers=config.kafka.bootstrap_servers, group_id=group,
                             enable_auto_commit=False)  # fmt: skip
    try:
        return int(consumer.end_offsets([tp])[tp]) - (consumer.committed(tp) or 0)
    finally:
        consumer.close()


def scenario(brands: int) -> tuple[list[bytes], list[str]]:
    """Three weeks of `brands` brands ending now (two of warm-up), as enriched mentions. The
    alert workers warm up on 22 days, so a rebuilt brand sees all of its history."""
    start = (datetime.now(UTC) - timedelta(weeks=3)).replace(minute=0, second=0, microsecond=0)
    made = generate(seed=11, brands=brands, weeks=3, warmup_weeks=2, crises_per_brand=2,
                    start=start)  # fmt: skip
    lines = [enriched_line(o, "agence-horizon") for o in made.observations]
    return lines, made.brands


def opened_all(config: VeilleConfig, expected: set[str]) -> list[IncidentEvent]:
    """Every incident event so far, once they open every expected incident (else [])."""
    topic = Topics(config.kafka.topic_prefix).incidents
    events = [IncidentEvent.model_validate_json(v) for v in read_topic(config, topic, 1, 5)]
    return events if {e.incident.id for e in events if e.event == "opened"} >= expected else []


def test_three_alert_workers_one_killed_each_incident_once_none_missed(
    stack: EmbeddedStack, tansu: TansuBroker, tmp_path: Path
) -> None:
    """Brands spread over the partitions by (tenant, brand); the dead worker's brands are
    rebuilt from the index by the survivors (warm-up per brand, up to the resume point), so the
    incidents are the replay's."""
    lines, brands = scenario(4)  # brand-00, -01 on partition 0, -02, -03 on 1 (none on 2)
    tenant = {"id": "agence-horizon", "name": "Agence Horizon",
              "brands": [{"id": b, "name": b, "queries": [{"id": "q", "query": b}]}
                         for b in brands]}  # fmt: skip
    config = tansu_config(stack, tansu, tenants=[tenant],
                          alerts={"warmup_days": 22})  # fmt: skip
    topics = Topics(config.kafka.topic_prefix)
    expected = {t.incident.id for t in replay(b"\n".join(lines), config.detection_rule_or_default)
                if t.event == "opened"}  # fmt: skip
    assert expected
    keys = [brand_key("agence-horizon", EnrichedMention.model_validate_json(line).brands[0])
            for line in lines]  # fmt: skip
    first = len(lines) // 3
    prepare(config)
    path = write_config(config, tmp_path / "veille.yaml")
    logs = [tmp_path / f"alerts-{k}.log" for k in range(3)]
    processes = start(path, logs, "alerts", "run")
    try:
        with workers(config, "index"):
            wait_until(lambda: one_partition_each(logs, topics.enriched), timeout_s=180,
                       what="three alert workers, one enriched partition each")  # fmt: skip
            produce(config, topics.enriched, lines[:first], keys[:first])
            wait_until(lambda: index_ids(config)[0] >= first and committed_offsets(
                config, group_id(config, "alerts"), topics.enriched) >= first, timeout_s=300,
                what="the first third indexed and read")  # fmt: skip
            (k,) = [k for k, log in enumerate(logs) if owned(log, topics.enriched) == {0}]
            victim = owned(logs[k], topics.enriched)  # the owner of two brands
            kill(processes[k])
            alive = logs[:k] + logs[k + 1 :]
            produce(config, topics.enriched, lines[first:], keys[first:])
            wait_until(lambda: committed_offsets(config, group_id(config, "alerts"),
                       topics.enriched) >= len(lines), timeout_s=300,
                       what="every mention read by the survivors")  # fmt: skip
            # the last buckets close once every partition has been idle (10 s by default)
            with suppress(AssertionError):  # the assertions below say what is missing
                wait_until(lambda: opened_all(config, expected), timeout_s=180)
            events = [IncidentEvent.model_validate_json(v)
                      for v in read_topic(config, topics.incidents, 1, timeout_s=5)]  # fmt: skip
    finally:
        stop(processes)
    survivors = [owned(log, topics.enriched) or set() for log in alive]
    assert victim and victim <= survivors[0] | survivors[1]
    opened = Counter(e.incident.id for e in events if e.event == "opened")
    assert set(opened) == expected  # none missed, none extra: each crisis is one incident
    # a rebuilt brand publishes its last hour's transitions again (alerts/warmup.py): the same
    # incident, same id and time, which the notifier pages once (one thread per incident id)
    for incident_id, count in opened.items():
        times = {e.at for e in events if e.event == "opened" and e.incident.id == incident_id}
        assert len(times) == 1, (incident_id, count, times)
    rebuilt = [line for log in alive for line in log.read_text().splitlines()
               if "warmed up on" in line]  # fmt: skip
    assert rebuilt, "the survivors rebuilt no brand"
