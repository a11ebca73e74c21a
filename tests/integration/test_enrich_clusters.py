"""Near-duplicate clusters through the real servers: copies of one post are one story with
two stories workers in the group (the scored topic is keyed by tenant; the raw topic, by
mention id, spreads the copies over every partition of the inference stage), and after a
restart (the clusters rebuilt from what is indexed in Elasticsearch).

Copies with different ids reach the stories stage in no fixed order (they crossed several raw
partitions): the tests check that each copy joined the one story, one at a time, not which
copy came first."""

from datetime import timedelta

import pytest
from elasticsearch import helpers

from enrich import warmup
from enrich.warmup import indexed_members
from ingest.cursors import CursorStore
from ingest.delivery import MentionSink
from runtime.indices import make_client, mention_index, mentions_alias
from runtime.kafka import DurableProducer, make_producer
from schemas.config import VeilleConfig
from schemas.enriched import EnrichedMention, NearDuplicateCluster
from schemas.mention import Mention
from schemas.topics import Topics
from tests.helpers import enriched, mention, produce_raw, read_topic, wait_until, workers
from veille.runner import prepare

pytestmark = pytest.mark.integration

ANGRY = "Trois heures d'attente au téléphone chez Air Volaris, inadmissible, plus jamais."
VARIANTS = [
    ANGRY,
    ANGRY.upper(),
    "RT " + ANGRY,
    ANGRY + " https://t.co/Xy12ab",
    ANGRY.replace("Trois", "Quatre"),
    ANGRY.replace(",", "").replace(".", " !!!"),
]


def copies(count: int, first: int = 0) -> list[Mention]:
    """Copies of the angry post: one mention id each, same tenant and brand."""
    return [
        mention(f"{VARIANTS[i % len(VARIANTS)]} #{i}", minute=i)
        for i in range(first, first + count)
    ]


def ingest(config: VeilleConfig, mentions: list[Mention]) -> None:
    """Produced as ingest produces them (MentionSink: keys, acks=all, flush)."""
    producer = DurableProducer(make_producer(config.kafka, "test-ingest"))
    sink = MentionSink(producer, Topics(config.kafka.topic_prefix), CursorStore(None), 10)
    sink.produce(mentions, [])
    sink.close()


def clusters_of(config: VeilleConfig, expected: int) -> dict[str, list[NearDuplicateCluster]]:
    """Every enriched version of each mention id, in the order of its partition."""
    topic = Topics(config.kafka.topic_prefix).enriched
    out: dict[str, list[NearDuplicateCluster]] = {}
    for value in read_topic(config, topic, expected, timeout_s=90):
        m = EnrichedMention.model_validate_json(value)
        assert m.cluster is not None
        out.setdefault(m.id, []).append(m.cluster)
    return out


def indexed_count(config: VeilleConfig) -> int:
    es = make_client(config.elasticsearch)
    index = mentions_alias(config.elasticsearch, "agence-horizon")
    if not es.indices.exists(index=index):
        return 0
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


def test_two_stories_workers_give_copies_of_a_post_one_cluster(
    noida_config: VeilleConfig,
) -> None:
    config = noida_config
    every = {0, 1, 2}
    story = copies(30)
    with workers(config, "enrich"), workers(config, "stories") as first:
        a = first.workers["stories"]
        wait_until(lambda: len(a.assignment()) == 3, timeout_s=60, what="the first worker joins")
        with workers(config, "stories") as second:
            b = second.workers["stories"]

            def split() -> bool:
                mine = {tp.partition for tp in a.assignment()}
                theirs = {tp.partition for tp in b.assignment()}
                return bool(mine and theirs and not mine & theirs and mine | theirs == every)

            wait_until(split, timeout_s=60, what="the two workers to split the partitions")
            for start in range(0, len(story), 10):  # three polls of ingest
                ingest(config, story[start : start + 10])
            out = clusters_of(config, len(story))
            assert split(), "a rebalance happened while processing: the test proves nothing"
            processed = sorted((a.stats.processed, b.stats.processed))

    assert processed == [0, len(story)]  # the tenant's partition belongs to one worker
    assert sorted(out) == sorted(m.id for m in story)
    (story_id,) = {c.id for versions in out.values() for c in versions}
    assert story_id in {m.id for m in story}  # named after its first member seen
    sizes = sorted(out[m.id][0].size for m in story)
    assert sizes == list(range(1, len(story) + 1))  # grows by one each


def test_a_restarted_stories_worker_keeps_the_story_it_clustered_before(
    noida_config: VeilleConfig,
) -> None:
    config = noida_config
    before, after = copies(5), copies(5, first=5)
    redelivered = before[2]  # already indexed: it keeps its cluster, counted once
    with workers(config, "index", "enrich"):
        with workers(config, "stories"):
            produce_raw(config, before)
            first_run = clusters_of(config, len(before))
            wait_until(lambda: indexed_count(config) == len(before), what="the copies indexed")
        with workers(config, "stories"):  # a new worker: its memory starts empty
            produce_raw(config, [redelivered, *after])
            out = clusters_of(config, len(before) + 1 + len(after))
        # the same restart with the rebuild turned off, for comparison
        cold = config.model_copy(deep=True)
        cold.enrich.clusters.warmup_max_mentions = 0
        wait_until(lambda: indexed_count(config) == 10, what="the copies indexed again")
        with workers(cold, "stories"):
            late = copies(1, first=10)
            produce_raw(cold, late)
            cold_out = clusters_of(config, 12)

    (story_id,) = {first_run[m.id][0].id for m in before}
    assert sorted(first_run[m.id][0].size for m in before) == [1, 2, 3, 4, 5]
    again = out[redelivered.id][-1]  # it may come after some of `after`: size is the story's
    assert again.id == story_id and 5 <= again.size <= 10  # then: counted once (sizes below)
    assert sorted((out[m.id][0] for m in after), key=lambda c: c.size) == [
        NearDuplicateCluster(id=story_id, size=size) for size in range(6, 11)
    ]
    assert cold_out[late[0].id] == [NearDuplicateCluster(id=late[0].id, size=1)]


def test_indexed_members_come_from_the_window_before_the_latest_indexed_mention(
    noida_config: VeilleConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = noida_config
    monkeypatch.setattr(warmup, "PAGE", 2)  # several pages (search_after) for five documents
    prepare(config)
    es = make_client(config.elasticsearch)
    story = copies(4)  # minutes 0…3
    old = mention(ANGRY, minute=-2 * 60)  # two hours before the first copy
    docs = [enriched(old, -0.6)] + [  # the old one was indexed without a cluster
        enriched(m, -0.6).model_copy(
            update={"cluster": NearDuplicateCluster(id=story[0].id, size=i)}
        )
        for i, m in enumerate(story, start=1)
    ]
    actions = ({"_index": mention_index(config.elasticsearch, d.tenant, d.published_at),
                "_id": d.id, "_source": d.model_dump(mode="json")} for d in docs)  # fmt: skip
    helpers.bulk(es, actions, refresh=True)
    window = timedelta(hours=1)  # the latest is at 22:03 (event time): old is out of it

    members = indexed_members(es, config.elasticsearch, "agence-horizon", window, limit=100)
    assert [m.mention_id for m in members] == [m.id for m in story]  # oldest first
    assert [(m.cluster_id, m.cluster_size) for m in members] == [(story[0].id, i)
                                                                 for i in range(1, 5)]  # fmt: skip
    newest = indexed_members(es, config.elasticsearch, "agence-horizon", window, limit=2)
    assert [m.mention_id for m in newest] == [m.id for m in story[2:]]
    wide = indexed_members(es, config.elasticsearch, "agence-horizon", timedelta(days=1), 100)
    assert wide[0].mention_id == old.id and wide[0].cluster_id == old.id  # no cluster: its own
    assert indexed_members(es, config.elasticsearch, "maison-lumen", window, 100) == []
