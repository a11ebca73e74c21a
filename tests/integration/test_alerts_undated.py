"""The live alert worker skips mentions whose source gave no readable date
(`published_at_known` false: published_at is the fetch time): a backlog of them read at once
is handled (offsets committed, nothing dead-lettered) but never counted nor moves event time."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from alerts.detection.observation import Observation, SentimentPart, ViralityPart
from bench.scenarios import enriched_line
from schemas.topics import Topics
from tests.helpers import committed_offsets, make_config, produce, read_topic, wait_until, workers
from veille.runner import group_id
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration


def backlog(now: datetime, count: int) -> list[bytes]:
    """`count` complaints fetched at once from a feed without dates."""
    lines = []
    for k in range(count):
        obs = Observation(
            id=f"undated-{k}", tenant="agence-horizon", brands=("air-volaris",),
            published_at=now - timedelta(seconds=k), published_at_known=False,
            sentiment=SentimentPart(-0.8, "negative"), virality=ViralityPart(2.0),
            text=f"vol annulé {k}",
        )  # fmt: skip
        lines.append(enriched_line(obs, "agence-horizon"))
    return lines


def test_an_undated_backlog_is_never_a_burst_now(stack: EmbeddedStack) -> None:
    config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                         alerts={"warmup_days": 0, "idle_partition_s": 1})  # fmt: skip
    topics = Topics(config.kafka.topic_prefix)
    lines = backlog(datetime.now(UTC), 60)
    assert all(json.loads(line)["published_at_known"] is False for line in lines)
    with workers(config, "alerts") as running:
        stage = running.workers["alerts"].stage
        produce(config, topics.enriched, lines, [str(i) for i in range(len(lines))])
        wait_until(lambda: committed_offsets(config, group_id(config, "alerts"), topics.enriched)
                   >= len(lines), timeout_s=30, what="the backlog to be handled")  # fmt: skip
        assert stage.watermark is None  # no dated mention read: event time has not moved
        assert stage.open_incidents() == 0
        refused = read_topic(config, topics.dlq, 0, timeout_s=1)
    assert refused == []
