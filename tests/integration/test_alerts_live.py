"""The live alert worker through the real broker gives the same incident events as the replay
of the same data, whatever the interleaving of the partitions; manual resolve works."""

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.replay.command import event_record, replay
from bench.scenarios import enriched_line, generate
from runtime.kafka import DurableProducer, make_producer
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention
from schemas.incident import IncidentEvent, ResolveCommand
from schemas.topics import Topics
from tests.helpers import produce, read_topic, wait_until, workers

pytestmark = pytest.mark.integration


def scenario_lines() -> list[bytes]:
    """Three brands over three weeks (two of warm-up), as enriched mentions in schema format."""
    scenario = generate(seed=5, brands=3, weeks=3, warmup_weeks=2, crises_per_brand=2)
    lines = [enriched_line(o, "agence-horizon") for o in scenario.observations]
    for line in lines[:50]:  # the format is the contract's
        EnrichedMention.model_validate_json(line)
    return lines


def comparable(record: dict[str, object]) -> tuple[object, ...]:
    keys = ("event", "at", "tenant", "brand", "incident_id", "severity", "trigger", "count")
    return tuple(record[k] for k in keys)


def test_live_worker_matches_replay(noida_config: VeilleConfig, tmp_path: Path) -> None:
    config = noida_config
    topics = Topics(config.kafka.topic_prefix)
    lines = scenario_lines()
    expected = [
        comparable(event_record(t))
        for t in replay(b"\n".join(lines), config.detection_rule_or_default)
    ]
    assert any(e[0] == "opened" for e in expected)
    # keyed by mention id: the three partitions interleave in whatever order the consumer likes
    keys = [str(i) for i in range(len(lines))]
    with workers(config, "alerts") as running:
        produce(config, topics.enriched, lines, keys)
        stage = running.workers["alerts"].stage
        wait_until(lambda: running.workers["alerts"].stats.processed >= len(lines), timeout_s=120,
                   what="the alert worker to read every mention")  # fmt: skip
        live = [
            IncidentEvent.model_validate_json(v)
            for v in read_topic(config, topics.incidents, len(expected), timeout_s=60)
        ]
        assert stage.open_incidents() >= 0
    got = sorted(comparable(event_record(_transition(e))) for e in live)
    assert got == sorted(expected)


def _transition(event: IncidentEvent):  # type: ignore[no-untyped-def]
    from alerts.detection.incidents import Transition

    return Transition(event.event, event.at, event.incident)


def test_a_person_can_resolve_an_open_incident(noida_config: VeilleConfig) -> None:
    config = noida_config
    topics = Topics(config.kafka.topic_prefix)
    lines = scenario_lines()
    opened = [
        e
        for e in replay(b"\n".join(lines), config.detection_rule_or_default)
        if e.event == "opened"
    ]
    target = opened[0]
    # feed only up to just after the first opening, so that incident is still open
    cut = [line for line in lines
           if EnrichedMention.model_validate_json(line).published_at
           <= target.at + timedelta(minutes=3)]  # fmt: skip
    with workers(config, "alerts") as running:
        produce(config, topics.enriched, cut, [str(i) for i in range(len(cut))])
        wait_until(lambda: running.workers["alerts"].stats.processed >= len(cut), timeout_s=120,
                   what="the alert worker to read the mentions")  # fmt: skip
        command = ResolveCommand(tenant=target.incident.tenant, brand=target.incident.brand,
                                 incident_id=target.incident.id, by="camille",
                                 issued_at=target.at)  # fmt: skip
        producer = DurableProducer(make_producer(config.kafka, "test"))
        producer.send(topics.commands, target.incident.id, command.model_dump_json().encode())
        producer.flush()
        producer.close()

        def resolved() -> list[IncidentEvent]:
            events = [IncidentEvent.model_validate_json(v)
                      for v in read_topic(config, topics.incidents, 1, timeout_s=2)]  # fmt: skip
            return [
                e for e in events if e.event == "resolved" and e.incident.id == target.incident.id
            ]

        done = wait_until(resolved, timeout_s=60, what="the resolved event")
    assert done[0].incident.resolved_by == "camille"
    assert done[0].incident.status == "resolved"
