"""A restarted alert worker rebuilds its baselines from the indexed history: a daily rush it
has seen for two weeks does not page, whereas a worker started cold pages it."""

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from elasticsearch import helpers

from alerts.detection.detector import AlertDetector
from alerts.detection.observation import Observation, SentimentPart, ViralityPart
from alerts.warmup import warm_up
from bench.scenarios import enriched_line
from runtime.indices import make_client, mention_index
from schemas.config import VeilleConfig
from schemas.incident import IncidentEvent
from schemas.topics import Topics
from tests.helpers import (
    committed_offsets,
    make_config,
    produce,
    read_topic,
    wait_until,
    workers,
)
from veille.runner import group_id, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")
TENANT, BRAND = "agence-horizon", "air-volaris"


def day_of_traffic(day: datetime, tag: str) -> list[bytes]:
    """Two calm mentions an hour, and a rush of 40 complaints between 14:00 and 15:00 Paris."""
    lines = []
    for hour in range(24):
        start = day.replace(hour=hour).astimezone(UTC)
        per_hour = 40 if hour == 14 else 2
        for k in range(per_hour):
            at = start + timedelta(minutes=k * 60 / per_hour)
            obs = Observation(
                id=f"{tag}-{hour}-{k}", tenant=TENANT, brands=(BRAND,), published_at=at,
                sentiment=SentimentPart(-0.7 if hour == 14 else 0.2,
                                        "negative" if hour == 14 else "positive"),
                virality=ViralityPart(2.0), text=f"mention {tag} {hour} {k}",
            )  # fmt: skip
            lines.append(enriched_line(obs, TENANT))
    return lines


def pages(config: VeilleConfig, today: list[bytes]) -> list[IncidentEvent]:
    topics = Topics(config.kafka.topic_prefix)
    with workers(config, "alerts") as running:
        produce(config, topics.enriched, today, [str(i) for i in range(len(today))])
        stage = running.workers["alerts"].stage
        last = datetime.fromisoformat(today[-1].split(b'"published_at":"')[1][:20].decode()[:-1])
        wait_until(lambda: (stage.watermark or 0) >= last.replace(tzinfo=UTC).timestamp() - 120,
                   timeout_s=90, what="event time to reach the end of the day")  # fmt: skip
        events = [IncidentEvent.model_validate_json(v)
                  for v in read_topic(config, topics.incidents, 0, timeout_s=2)]  # fmt: skip
    return [e for e in events if e.event == "opened" and e.incident.kind == "crisis"]


def test_warm_worker_knows_the_daily_rush_a_cold_one_does_not(stack: EmbeddedStack) -> None:
    today = datetime.now(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    history = [line for d in range(15, 1, -1)
               for line in day_of_traffic(today - timedelta(days=d), f"h{d}")]  # fmt: skip
    traffic = day_of_traffic(yesterday, "today")  # a whole day, already over
    warm = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                       alerts={"warmup_days": 21, "idle_partition_s": 1})  # fmt: skip
    prepare(warm)
    es = make_client(warm.elasticsearch)
    helpers.bulk(es, ({"_index": mention_index(warm.elasticsearch, TENANT,
                                               datetime.fromisoformat(json.loads(line)["published_at"])),
                       "_id": line.split(b'"id":"')[1][:32].decode(), "_source": line.decode()}
                      for line in history), refresh=True)  # fmt: skip
    assert pages(warm, traffic) == []

    cold = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                       alerts={"warmup_days": 0, "idle_partition_s": 1})  # fmt: skip
    assert pages(cold, traffic), "a cold detector should have paged the rush"


def bad_event_times(now: datetime) -> list[bytes]:
    """Posts whose event time ingest refuses: a day ahead, in the year 9999, in the year 1."""
    dates = [
        now + timedelta(days=1),
        datetime(9999, 6, 1, tzinfo=UTC),
        datetime(1, 6, 1, tzinfo=UTC),
    ]
    lines = []
    for at in dates:
        obs = Observation(
            id=f"bad-{at.year}", tenant=TENANT, brands=(BRAND,), published_at=at,
            sentiment=SentimentPart(-0.8, "negative"), virality=ViralityPart(2.0),
            text="posté depuis le futur",
        )  # fmt: skip
        lines.append(enriched_line(obs, TENANT))
    return lines


def test_posts_dated_ahead_or_in_9999_do_not_silence_the_pager(stack: EmbeddedStack) -> None:
    """They reach the alert worker first, alone; the rush read afterwards still pages in
    time, and the worker's event time never passed the wall clock plus the skew."""
    now = datetime.now(UTC)
    yesterday = datetime.now(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday -= timedelta(days=1)
    config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                         alerts={"warmup_days": 0, "idle_partition_s": 1})  # fmt: skip
    topics = Topics(config.kafka.topic_prefix)
    bad = bad_event_times(now)
    traffic = day_of_traffic(yesterday, "after")
    with workers(config, "alerts") as running:
        stage = running.workers["alerts"].stage
        produce(config, topics.enriched, bad, [str(i) for i in range(len(bad))])
        wait_until(lambda: committed_offsets(config, group_id(config, "alerts"), topics.enriched)
                   >= len(bad), timeout_s=30, what="the bad posts to be handled")  # fmt: skip
        produce(config, topics.enriched, traffic, [str(i) for i in range(len(traffic))])
        end = datetime.fromisoformat(traffic[-1].split(b'"published_at":"')[1][:19].decode())
        wait_until(lambda: (stage.watermark or 0) >= end.replace(tzinfo=UTC).timestamp() - 120,
                   timeout_s=90, what="event time to reach the end of the day")  # fmt: skip
        assert stage.watermark is not None
        assert stage.watermark <= time.time() + config.event_time.max_future_skew_s
        events = [IncidentEvent.model_validate_json(v)
                  for v in read_topic(config, topics.incidents, 1, timeout_s=5)]  # fmt: skip
        refused = read_topic(config, topics.dlq, len(bad) - 1, timeout_s=5)
    opened = [e for e in events if e.event == "opened" and e.incident.kind == "crisis"]
    assert opened, "the rush after the bad posts was not paged"
    assert timedelta(0) < opened[0].at - yesterday.replace(hour=14) <= timedelta(minutes=15)
    assert len(refused) >= 2 and all(b"event time refused" in r for r in refused)


def test_a_restart_warms_up_normally_with_such_posts_in_the_index(stack: EmbeddedStack) -> None:
    today = datetime.now(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    history = [line for d in range(15, 1, -1)
               for line in day_of_traffic(today - timedelta(days=d), f"h{d}")]  # fmt: skip
    warm = make_config(stack.kafka_bootstrap, stack.elasticsearch_url,
                       alerts={"warmup_days": 21, "idle_partition_s": 1})  # fmt: skip
    prepare(warm)
    es = make_client(warm.elasticsearch)
    indexed = history + bad_event_times(datetime.now(UTC))
    helpers.bulk(es, ({"_index": mention_index(warm.elasticsearch, TENANT,
                                               datetime.fromisoformat(json.loads(line)["published_at"])),
                       "_id": line.split(b'"id":"')[1][:32].decode(), "_source": line.decode()}
                      for line in indexed), refresh=True)  # fmt: skip
    detector = AlertDetector(warm.detection_rule_or_default)
    since = datetime.now(UTC) - timedelta(days=21)
    done = warm_up(detector, es, warm.elasticsearch, [TENANT], since, warm.event_time)
    assert done == (len(history), 2)  # the year-1 post is before `since`: not even read
    hours = detector.monitor(TENANT, BRAND)._neg_base.hours_learned
    assert hours <= 16 * 24  # two weeks of history, not eight thousand years
    # the worker itself starts, warms up on the same index and knows the daily rush
    assert pages(warm, day_of_traffic(today - timedelta(days=1), "today")) == []
