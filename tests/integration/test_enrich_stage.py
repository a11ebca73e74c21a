"""The enrich stages through the real servers: two inference workers share the raw topic,
engagement updates are re-scored, copies of one post form one cluster (stories), and a flood
of bad input stops the inference worker loudly instead of dead-lettering everything."""

import time
from datetime import timedelta

import pytest

from runtime.deadletter import DeadLetterLimitExceeded
from runtime.indices import make_client, mentions_alias
from schemas.config import VeilleConfig
from schemas.deadletter import DeadLetter
from schemas.enriched import EnrichedMention
from schemas.mention import Engagement
from schemas.topics import Topics
from tests.helpers import (
    committed_offsets,
    make_config,
    mention,
    produce,
    produce_raw,
    read_records,
    read_topic,
    wait_until,
    workers,
)
from veille.runner import group_id, prepare, start_workers
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration


def indexed(config: VeilleConfig, tenant: str = "agence-horizon") -> dict[str, dict[str, object]]:
    es = make_client(config.elasticsearch)
    index = mentions_alias(config.elasticsearch, tenant)
    if not es.indices.exists(index=index):
        return {}
    es.indices.refresh(index=index)
    found = es.search(index=index, size=10_000, query={"match_all": {}})
    return {hit["_id"]: hit["_source"] for hit in found["hits"]["hits"]}


def test_two_enrich_workers_split_the_partitions_and_process_each_mention_once(
    broker_config: VeilleConfig,
) -> None:
    config = broker_config
    topics = Topics(config.kafka.topic_prefix)
    every = {0, 1, 2}
    with workers(config, "index", "stories"), workers(config, "enrich") as first:
        a = first.workers["enrich"]
        wait_until(lambda: len(a.assignment()) == 3, timeout_s=60, what="the first worker joins")
        with workers(config, "enrich") as second:
            b = second.workers["enrich"]

            def split() -> bool:
                mine, theirs = (
                    {tp.partition for tp in a.assignment()},
                    {tp.partition for tp in b.assignment()},
                )
                return bool(mine and theirs and not mine & theirs and mine | theirs == every)

            wait_until(split, timeout_s=60, what="the two workers to split the partitions")
            mentions = [mention(f"Air Volaris, retour numéro {i}", minute=i) for i in range(300)]
            produce_raw(config, mentions)  # keyed by id: one tenant loads every partition
            wait_until(lambda: len(indexed(config)) >= 300, timeout_s=90, what="300 indexed")
            assert split(), "a rebalance happened while processing: the test proves nothing"
            processed = (a.stats.processed, b.stats.processed)
    assert processed[0] > 0 and processed[1] > 0
    assert sum(processed) == 300
    raw_out = read_topic(config, topics.enriched, 300)
    out = [EnrichedMention.model_validate_json(v).id for v in raw_out]
    assert sorted(out) == sorted(m.id for m in mentions)  # each exactly once
    assert sorted(indexed(config)) == sorted(m.id for m in mentions)


def test_engagement_update_is_rescored_and_copies_form_one_cluster(
    noida_config: VeilleConfig,
) -> None:
    config = noida_config
    topics = Topics(config.kafka.topic_prefix)
    angry = "Trois heures d'attente au téléphone chez Air Volaris, inadmissible !"
    first = mention(angry, minute=0)
    seen_at = first.published_at + timedelta(minutes=1)
    first = first.model_copy(
        update={"engagement": Engagement(likes=10, reposts=0, replies=0, observed_at=seen_at)}
    )
    later = Engagement(
        likes=110, reposts=20, replies=10, observed_at=seen_at + timedelta(minutes=5)
    )
    update = first.model_copy(update={"engagement": later})
    copies = [mention(angry.upper() + f" #{i}", minute=2 + i) for i in range(20)]
    other = mention("Merci Air Volaris pour ce vol parfait", minute=3)
    values = [first, update, *copies, other]
    with workers(config, "enrich", "stories", "index"):
        produce_raw(config, values)
        out = [EnrichedMention.model_validate_json(v)
               for v in read_topic(config, topics.enriched, len(values))]  # fmt: skip
        wait_until(lambda: len(indexed(config)) >= 22, what="22 indexed mentions")
        time.sleep(1)  # let the update's document land too
        docs = indexed(config)

    versions = [m for m in out if m.id == first.id]
    assert [v.engagement.likes for v in versions if v.engagement] == [10, 110]
    assert versions[0].virality.velocity_per_minute is None  # first observation: unknown
    # (110 + 2·20 + 10) − 10 = 150 weighted interactions in 5 minutes
    assert versions[1].virality.velocity_per_minute == 30.0
    assert versions[1].virality.score > versions[0].virality.score
    assert docs[first.id]["virality"]["velocity_per_minute"] == 30.0  # the index has the update

    story = {m.id: m for m in out if m.id in {first.id, *(c.id for c in copies)}}
    clusters = {m.cluster.id for m in story.values() if m.cluster}
    assert len(clusters) == 1 and clusters <= set(story)  # one story, named after a member
    assert max(m.cluster.size for m in story.values() if m.cluster) == 21
    lone = next(m for m in out if m.id == other.id)
    assert lone.cluster is not None and (lone.cluster.id, lone.cluster.size) == (other.id, 1)
    assert docs[other.id]["cluster"] == {"id": other.id, "size": 1}


def committed(config: VeilleConfig, worker: str, topic: str) -> int:
    return committed_offsets(config, group_id(config, worker), topic)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"dlq_max_consecutive": 4}, "4 consecutive messages rejected"),
        ({"dlq_max_ratio": 0.5, "dlq_ratio_window": 6}, "4 of the last 6 messages rejected"),
    ],
)
def test_a_flood_of_bad_input_stops_the_worker_loudly_without_committing(
    stack: EmbeddedStack, limits: dict[str, object], expected: str
) -> None:
    config = make_config(
        stack.kafka_bootstrap, stack.elasticsearch_url,
        worker={"poll_timeout_ms": 200, "retry_backoff_s": 0.2, **limits},
    )  # fmt: skip
    topics = Topics(config.kafka.topic_prefix)
    good = [mention(f"Air Volaris avis {i}").model_dump_json().encode() for i in range(2)]
    bad = b'{"broken": '
    values = [good[0], bad, bad, good[1], bad, bad, bad, bad]  # 6 of 8 rejected, 4 in a row
    prepare(config)
    produce(config, topics.raw, values, ["same-partition"] * len(values))
    running = start_workers(config, ("enrich",))
    try:
        wait_until(lambda: "enrich" in running.failures, timeout_s=30, what="the worker to stop")
    finally:
        running.stop()
    failure = running.failures["enrich"]
    assert isinstance(failure, DeadLetterLimitExceeded)
    assert expected in str(failure)
    assert committed(config, "enrich", topics.raw) < len(values)  # failing batch uncommitted
    first = _letters(config, topics.dlq, 4)
    # started again (the deploy not fixed), it stops again on the same messages: their letters
    # come again, with the same ids and keys, so that a reader of the DLQ counts each once
    again = start_workers(config, ("enrich",))
    try:
        wait_until(lambda: "enrich" in again.failures, timeout_s=30, what="the second stop")
    finally:
        again.stop()
    letters = _letters(config, topics.dlq, len(first) + 4)
    positions = {(letter.topic, letter.partition, letter.offset) for _, letter in letters}
    assert len(letters) > len(positions)  # some messages were dead-lettered twice...
    assert len({key for key, _ in letters}) == len(positions)  # ...each under one key
    assert {key for key, _ in first} <= {key for key, _ in letters}


def _letters(config: VeilleConfig, topic: str, expected: int) -> list[tuple[str, DeadLetter]]:
    """(Kafka key, letter) of each dead letter; checks that the key is the letter's id."""
    letters = []
    for key, value in read_records(config, topic, expected):
        letter = DeadLetter.model_validate_json(value)
        assert key is not None and key.decode() == letter.id
        letters.append((letter.id, letter))
    return letters


def test_bad_input_below_the_limits_is_dead_lettered_and_the_stream_goes_on(
    stack: EmbeddedStack,
) -> None:
    config = make_config(
        stack.kafka_bootstrap, stack.elasticsearch_url,
        worker={"poll_timeout_ms": 200, "retry_backoff_s": 0.2, "dlq_max_consecutive": 4},
    )  # fmt: skip
    topics = Topics(config.kafka.topic_prefix)
    good = [mention(f"Air Volaris avis {i}").model_dump_json().encode() for i in range(3)]
    bad = b'{"broken": '
    # 6 rejected in one batch, but never 4 in a row: counted in offset order, no stop
    values = [good[0], bad, bad, bad, good[1], bad, bad, bad, good[2]]
    with workers(config, "enrich") as running:
        produce(config, topics.raw, values, ["same-partition"] * len(values))
        letters = read_topic(config, topics.dlq, 6)
        out = read_topic(config, topics.scored, 3)
        wait_until(lambda: committed(config, "enrich", topics.raw) == len(values),
                   what="the batch committed")  # fmt: skip
        assert not running.failures
    assert len(letters) == 6 and len(out) == 3
