"""`worker.small_batch_pause_ms`: after a batch smaller than `worker.small_batch_records`, the
stream loop waits before its next poll (bigger batches for a little latency), and only then;
a stop cuts the pause short."""

import threading
import time

import pytest

from schemas.config import VeilleConfig
from schemas.topics import Topics
from tests.helpers import committed_offsets, make_config, mention, produce_raw, wait_until
from veille.runner import build_enrich, group_id, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

PAUSE_S = 3.0


def config_with(stack: EmbeddedStack, small_batch_records: int) -> VeilleConfig:
    return make_config(
        stack.kafka_bootstrap, stack.elasticsearch_url,
        enrich={"scorer": "lexicon"},
        worker={"poll_timeout_ms": 200, "retry_backoff_s": 0.2,
                "small_batch_pause_ms": int(PAUSE_S * 1000),
                "small_batch_records": small_batch_records},
    )  # fmt: skip


def first_batch(config: VeilleConfig, stop: threading.Event) -> tuple[int, float]:
    """Records in the first non-empty batch of an inference worker, and how long the call
    that handled it took."""
    worker = build_enrich(config, stop)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = time.monotonic()
            done = worker.run_once()
            if done:
                return done, time.monotonic() - started
        raise AssertionError("no batch within 60 s")
    finally:
        worker.close()


@pytest.mark.parametrize(("small_batch_records", "paused"), [(64, True), (1, False)])
def test_only_a_small_batch_is_followed_by_the_pause(
    stack: EmbeddedStack, small_batch_records: int, paused: bool
) -> None:
    config = config_with(stack, small_batch_records)
    prepare(config)
    produce_raw(config, [mention("Air Volaris, vol annulé")])
    done, took_s = first_batch(config, threading.Event())
    assert done == 1
    assert (took_s >= PAUSE_S) is paused


def test_a_stop_cuts_the_pause_short(stack: EmbeddedStack) -> None:
    config = config_with(stack, small_batch_records=64)
    prepare(config)
    produce_raw(config, [mention("Air Volaris, vol annulé")])
    stop = threading.Event()
    worker = build_enrich(config, stop)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        raw = Topics(config.kafka.topic_prefix).raw
        wait_until(lambda: committed_offsets(config, group_id(config, "enrich"), raw) == 1,
                   timeout_s=60, what="the batch committed")  # fmt: skip
        started = time.monotonic()  # now within the pause that follows the batch
        stop.set()
        thread.join(PAUSE_S * 5)
        assert not thread.is_alive()
        assert time.monotonic() - started < PAUSE_S
    finally:
        stop.set()
