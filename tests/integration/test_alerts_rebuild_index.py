"""An alert worker rebuilds a gained partition only once the index has written what lies
before its resume point: with the index group behind the alert group (here: never run),
the rebuild waits (IndexBehind, retried) instead of warming up on a hole; once the index
catches up, it warms up on every mention before the resume point."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bench.scenarios import enriched_line, generate
from schemas.topics import Topics, brand_key
from tests.helpers import committed_offsets, make_config, produce, wait_until, workers
from veille.runner import group_id
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration


def test_the_rebuild_waits_for_the_index_group(
    stack: EmbeddedStack, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = {"id": "agence-horizon", "name": "Agence Horizon",
              "brands": [{"id": "brand-00", "name": "brand-00",
                          "queries": [{"id": "q", "query": "brand-00"}]}]}  # fmt: skip
    config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url, tenants=[tenant],
                         alerts={"warmup_days": 30})  # fmt: skip
    start = (datetime.now(UTC) - timedelta(weeks=2)).replace(minute=0, second=0, microsecond=0)
    made = generate(seed=3, brands=1, weeks=2, warmup_weeks=1, crises_per_brand=0, start=start)
    lines = [enriched_line(o, "agence-horizon") for o in made.observations][:300]
    topics = Topics(config.kafka.topic_prefix)
    alerts = group_id(config, "alerts")
    with workers(config, "alerts"):  # no index worker: the alert group alone reads them
        produce(config, topics.enriched, lines,
                [brand_key("agence-horizon", "brand-00")] * len(lines))  # fmt: skip
        wait_until(lambda: committed_offsets(config, alerts, topics.enriched) >= len(lines),
                   timeout_s=120, what="the alert group past every mention")  # fmt: skip
    caplog.set_level(logging.INFO)
    caplog.clear()
    with workers(config, "alerts"):  # restarted, the index still behind: held back
        wait_until(lambda: "the index group at offset" in caplog.text, timeout_s=60,
                   what="the rebuild held back")  # fmt: skip
        assert "warmed up on" not in caplog.text
    with workers(config, "alerts", "index"):
        wait_until(lambda: "warmed up on" in caplog.text, timeout_s=120, what="the rebuild")
    warmed = [r.getMessage() for r in caplog.records if "warmed up on" in r.getMessage()]
    assert f"warmed up on {len(lines)} mention(s)" in warmed[-1], warmed
