"""Three `veille ingest run` processes share eight growing feeds through the broker's group
membership (tansu: it expires a member killed without leaving): each source polled by one
live worker at a time; one worker killed with kill -9 mid-stream, its sources taken over
with their cursors; every post reaches mentions.raw, and an id produced twice (the killed
worker's last batch, produced but not journaled) is only ever one of the killed worker's
sources — the index absorbs it (the mention id is the document id)."""

import os
import signal
import time
from pathlib import Path

import pytest

from tests.helpers import TANSU_CONSUMER, make_config, wait_until
from tests.ingest_fleet import Fleet, GrowingFeeds, doubled, raw_mentions, settled
from tests.local_http import LocalHttp
from tests.tansu import TansuBroker
from veille.runner import prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

SESSION_S = TANSU_CONSUMER["session_timeout_ms"] / 1000


def test_three_workers_share_the_sources_and_survive_a_kill_9(
    stack: EmbeddedStack, tansu: TansuBroker, http: LocalHttp, tmp_path: Path
) -> None:
    feeds = GrowingFeeds(http, 8)
    ingest = {"allow_networks": ["127.0.0.1/32"], "state_partitions": 12}
    config = make_config(tansu.bootstrap, stack.elasticsearch_url, TANSU_CONSUMER,
                         ingest=ingest, sources=feeds.sources())  # fmt: skip
    prepare(config)
    fleet = Fleet(config, tmp_path)
    feeds.start()
    try:
        for name in ("w0", "w1", "w2"):
            fleet.start(name)
        wait_until(lambda: settled(feeds, {"w0", "w1", "w2"}), timeout_s=120,
                   what="three workers, each source polled by one of them")  # fmt: skip
        time.sleep(2)
        now = time.monotonic()
        owners = {s: next(iter(w)) for s, w in feeds.pollers(now - 2).items()}
        victim = max(("w0", "w1", "w2"), key=lambda w: list(owners.values()).count(w))
        lost = sorted(s for s, w in owners.items() if w == victim)
        killed_at = time.monotonic()
        os.kill(fleet.processes[victim].pid, signal.SIGKILL)
        fleet.processes[victim].wait()
        survivors = {"w0", "w1", "w2"} - {victim}

        def taken_over() -> bool:
            found = feeds.pollers(killed_at)
            return all(found.get(s, set()) & survivors for s in lost)

        wait_until(taken_over, timeout_s=60, what=f"{lost} taken over from {victim}")
        takeover_s = (
            max(  # the last of the lost sources' first poll by a survivor
                min(
                    at
                    for at, s, w in feeds.polls
                    if s == source and w in survivors and at > killed_at
                )
                for source in lost
            )
            - killed_at
        )
        wait_until(lambda: settled(feeds, survivors), timeout_s=60,
                   what="the two survivors, each source polled by one of them")  # fmt: skip
        after = time.monotonic()
        time.sleep(3)
    finally:
        feeds.stop()
    try:
        published = feeds.published()
        wait_until(
            lambda: {(m.source, m.native_id) for m in raw_mentions(config, len(published))}
            >= published,
            timeout_s=60, what="every published post on mentions.raw",
        )  # fmt: skip
    finally:
        fleet.stop()
    print(f"victim {victim} owned {lost}; taken over in {takeover_s:.1f} s "
          f"(session timeout {SESSION_S:.0f} s)")  # fmt: skip

    # one poller per source while settled, before the kill and after the takeover
    assert all(len(w) == 1 for w in feeds.pollers(after, after + 3).values())
    assert set().union(*feeds.pollers(after).values()) <= survivors
    # never two workers polling one source in turn, over the whole run (joins and death)
    moves = {s: [(round(at - killed_at, 1), w) for at, w in c]
             for s, c in feeds.handovers().items()}  # fmt: skip
    assert not feeds.overlaps(), (feeds.overlaps(), moves)
    # the takeover waits for the broker to expire the dead member, then one rebalance
    assert takeover_s <= 2 * SESSION_S + 2, takeover_s
    mentions = raw_mentions(config, len(published))
    assert {(m.source, m.native_id) for m in mentions} == published  # nothing lost
    twice = doubled(mentions)
    sources_of = {m.id: m.source for m in mentions}
    assert {sources_of[i] for i in twice} <= set(lost), twice  # only the killed batch
    print(f"{len(published)} posts, {len(mentions)} records, {len(twice)} id(s) twice")
