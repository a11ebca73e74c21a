"""A broker blip never kills a worker; a worker that stops for good says so (issue 17).

The broker restart runs on a noida-db of its own (same ports, same data directory), so the
session's shared stack is never stopped under other tests.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.config import StackSettings, VeilleConfig
from schemas.topics import Topics
from tests.helpers import (
    free_port,
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
from veille.runner import prepare
from veille.stack import EmbeddedStack


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[EmbeddedStack]:
    settings = StackSettings(
        data_dir=str(tmp_path / "noida"), kafka_port=free_port(), elasticsearch_port=free_port()
    )
    embedded = EmbeddedStack(settings)
    embedded.up()
    yield embedded
    embedded.down()


def _config(stack: EmbeddedStack, **worker: object) -> VeilleConfig:
    return make_config(
        stack.kafka_bootstrap, stack.elasticsearch_url,
        enrich={"scorer": "lexicon"},
        worker={"poll_timeout_ms": 200, "retry_backoff_s": 0.2, "retry_backoff_max_s": 1.0,
                **worker},
    )  # fmt: skip


def test_a_worker_resumes_after_the_broker_restarts(own_stack: EmbeddedStack) -> None:
    config = _config(own_stack)
    enriched = Topics(config.kafka.topic_prefix).enriched
    with workers(config, "enrich", "stories", "index", "alerts") as running:
        produce_raw(config, [mention("Air Volaris : avant la coupure")])
        assert len(read_topic(config, enriched, 1)) == 1
        wait_until(running.ready, what="every worker ready")

        # the broker stops while the workers are busy: polls, produces, commits fail mid-batch
        burst = [mention(f"Air Volaris : rafale {i}") for i in range(3000)]
        produce_raw(config, burst)
        read_topic(config, enriched, 100)
        own_stack.down()
        wait_until(lambda: not running.ready(), what="readiness false while the broker is down")
        time.sleep(3)
        own_stack.up()

        produce_raw(config, [mention("Air Volaris : après la coupure")])
        after = "après la coupure".encode()
        wait_until(lambda: any(after in m for m in read_topic(config, enriched, 3000, 5)),
                   timeout_s=120, what="the mention after the restart enriched")  # fmt: skip
        wait_until(running.ready, timeout_s=60, what="every worker ready again")
        assert running.alive() and not running.failures


def test_a_worker_that_stops_for_good_exits_non_zero_with_an_error(
    own_stack: EmbeddedStack, tmp_path: Path
) -> None:
    config = _config(own_stack, dlq_max_consecutive=2)
    prepare(config)
    log_path = tmp_path / "veille.log"
    process = start_cli_worker(write_config(config, tmp_path / "veille.yaml"), log_path,
                               "run", "enrich", "index")  # fmt: skip
    try:
        produce(config, Topics(config.kafka.topic_prefix).raw, [b"{broken"] * 3, ["k"] * 3)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log_path.read_text()
    assert code == 1, output
    assert "ERROR" in output and "enrich: stopped for good" in output, output
    assert "dead-letter" in output.lower() or "DeadLetterLimitExceeded" in output, output
