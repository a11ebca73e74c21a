"""`/metrics`, `/healthz` and `/readyz` of real workers, scraped over HTTP on 127.0.0.1."""

import json
import signal
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from runtime.probes import ProbeServer
from schemas.topics import Topics
from tests.helpers import (
    free_port,
    make_config,
    mention,
    produce,
    produce_raw,
    start_cli_worker,
    wait_until,
    write_config,
)
from veille.runner import build_index, prepare, start_workers
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def samples(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of `/metrics`: (name, labels) → value."""
    _, text = get(f"{base}/metrics")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return scraped.get((name, frozenset(labels.items())), 0.0)


def test_a_running_process_counts_what_it_consumed_produced_and_dead_lettered(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    port = free_port()
    config = make_config(
        stack.kafka_bootstrap, stack.elasticsearch_url, metrics={"port": port, "ready_max_lag": 0}
    )
    topics = Topics(config.kafka.topic_prefix)
    prepare(config)
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "worker.log"
    process = start_cli_worker(
        write_config(config, tmp_path / "veille.yaml"), log_path,
        "--log-format", "json", "run", "enrich", "stories", "index",
    )  # fmt: skip
    try:
        wait_until(lambda: get(f"{base}/healthz")[0] == 200, timeout_s=60, what="/healthz")
        wait_until(lambda: get(f"{base}/readyz")[0] == 200, timeout_s=120, what="/readyz 200")
        good = [mention(f"Air Volaris vol numéro {i} en retard, c'est nul") for i in range(7)]
        produce_raw(config, good)
        produce(config, topics.raw, [b"{not json", b'{"id": "x"}'], ["agence-horizon"] * 2)

        def enough() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
            scraped = samples(base)
            indexed = value(scraped, "veille_messages_consumed_total", stage="index",
                            topic=topics.enriched)  # fmt: skip
            read = value(scraped, "veille_messages_consumed_total", stage="enrich",
                         topic=topics.raw)  # fmt: skip
            return scraped if indexed >= len(good) and read >= len(good) + 2 else {}

        scraped = wait_until(enough, timeout_s=120, what="9 read, 7 indexed")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    assert value(scraped, "veille_messages_consumed_total", stage="enrich", topic=topics.raw) == 9
    assert value(scraped, "veille_messages_dead_lettered_total", stage="enrich",
                 topic=topics.raw) == 2  # fmt: skip
    assert value(scraped, "veille_messages_produced_total", topic=topics.scored) == 7
    assert value(scraped, "veille_messages_consumed_total", stage="stories",
                 topic=topics.scored) == 7  # fmt: skip
    assert value(scraped, "veille_messages_produced_total", topic=topics.enriched) == 7
    assert value(scraped, "veille_messages_produced_total", topic=topics.dlq) == 2
    assert value(scraped, "veille_messages_consumed_total", stage="index",
                 topic=topics.enriched) == 7  # fmt: skip
    assert value(scraped, "veille_bulk_errors_total", kind="rejected") == 0
    for hop in ("published_to_fetched", "fetched_to_enriched", "enriched_to_indexed"):
        assert value(scraped, "veille_mention_latency_seconds_count", hop=hop) == 7
    assert value(scraped, "veille_inference_duration_seconds_count") >= 1
    assert value(scraped, "veille_batch_size_sum", stage="enrich") == 9
    lag = {labels: v for (name, labels), v in scraped.items() if name == "veille_consumer_lag"}
    assert lag and all(v == 0 for v in lag.values())  # caught up, on each owned partition
    # transformers' weight-loading progress bar also writes to stderr: not a log record
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{"]
    assert {"ts", "level", "logger", "message"} <= set(lines[0])
    dead = [line for line in lines if "dead-lettered" in line["message"]]
    assert len(dead) == 2 and {line["logger"] for line in dead} == {"runtime.deadletter"}


def test_readyz_is_false_before_assignment_and_after_a_stop(stack: EmbeddedStack) -> None:
    config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url)
    prepare(config)
    unstarted = build_index(config, threading.Event())
    probes = ProbeServer("127.0.0.1", 0, lambda: unstarted.not_ready(0)).start()
    base = f"http://127.0.0.1:{probes.port}"
    try:
        assert get(f"{base}/healthz") == (200, "alive\n")
        assert get(f"{base}/readyz") == (503, "index: no partition assigned yet\n")
        unstarted.close()

        running = start_workers(config, ("index",))
        probes.readiness = lambda: running.not_ready(0)
        wait_until(lambda: get(f"{base}/readyz") == (200, "ready\n"), timeout_s=60,
                   what="ready once assigned and caught up")  # fmt: skip
        running.stop()
        status, body = get(f"{base}/readyz")
        assert status == 503 and "index: stopped" in body.splitlines()
    finally:
        probes.close()
