"""The BatchAssembler (dedup → match → mention → batch) and the PollScheduler, as plain
objects: an in-memory CursorStore, compiled brand queries, an injected clock."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from ingest.assembler import BatchAssembler
from ingest.cursors import CursorStore
from ingest.matcher import BrandMatcher
from ingest.scheduler import PollScheduler
from ingest.sources.base import FeedItem, Fetched
from ingest.sources.push import PushedSource
from schemas.config import EventTimeSettings, IngestSettings, TenantSettings

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TENANT = TenantSettings.model_validate(
    {
        "id": "agence-horizon",
        "name": "Agence Horizon",
        "brands": [
            {
                "id": "air-volaris",
                "name": "Air Volaris",
                "queries": [{"id": "n", "query": "volaris"}],
            }
        ],
    }
)


def item(native_id: str, url: str | None, minutes: int = 0) -> FeedItem:
    at = NOW - timedelta(minutes=minutes)
    return FeedItem(native_id, url, None, "Air Volaris en retard", None, None, at, "fr")


def assembler() -> BatchAssembler:
    settings = IngestSettings()
    return BatchAssembler(BrandMatcher([TENANT]), CursorStore(None), settings, EventTimeSettings())


def test_items_sharing_one_url_are_deduplicated_with_a_log_line_and_a_counter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    a = assembler()
    page = "https://podcast.example/episodes/12"  # one episode listed under two guids
    items = [item("ep1", page, 3), item("ep2", page, 2), item("ep3", "https://x.example/3", 1)]
    with caplog.at_level(logging.WARNING):
        batch = a.assemble(PushedSource("agence-horizon"), Fetched(items, {}), NOW)
    assert [m.native_id for m in batch.new] == ["ep1", "ep3"]
    assert a.duplicates_dropped == 1
    [line] = [r.getMessage() for r in caplog.records if "de-duplicated" in r.getMessage()]
    assert "'ep2'" in line and "'ep1'" in line and page in line


def test_an_item_listed_twice_is_taken_once_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    a = assembler()
    with caplog.at_level(logging.WARNING):
        batch = a.assemble(PushedSource("agence-horizon"), Fetched([item("1", None)] * 2, {}), NOW)
    assert len(batch.new) == 1 and batch.new_items == 1 and a.duplicates_dropped == 1
    assert any("listed twice" in r.getMessage() for r in caplog.records)


def test_new_items_go_oldest_first_and_unmatched_ones_are_remembered() -> None:
    a = assembler()
    other = FeedItem("z", None, None, "rien à voir", None, None, NOW, "fr")
    fetched = Fetched([item("new", None, 1), item("old", None, 9), other], {})
    batch = a.assemble(PushedSource("agence-horizon"), fetched, NOW)
    assert [m.native_id for m in batch.new] == ["old", "new"]
    assert batch.seen["z"] == (None, [])


class Clocked:
    id = "feed"
    kind = "rss"
    interval_s = 60.0
    tenants = None


def test_scheduler_backs_off_a_failing_source_and_pauses_all_when_kafka_fails() -> None:
    now = [1000.0]
    source = Clocked()
    scheduler = PollScheduler([source], IngestSettings(error_backoff_max_s=300), lambda: now[0])
    assert scheduler.wait_s(source) <= 0 and scheduler.start_poll(source)
    assert scheduler.wait_s(source) == 60
    assert [scheduler.source_failed(source, None) for _ in range(4)] == [60, 120, 240, 300]
    assert scheduler.source_failed(source, 900) == 300  # Retry-After, within the cap
    scheduler.delivered(source)
    assert scheduler.source_failed(source, 90) == 90  # at least the server's wait
    assert [scheduler.kafka_failed(source) for _ in range(3)] == [2, 4, 8]
    now[0] += 1
    assert not scheduler.start_poll(source) and scheduler.wait_s(source) == 7
    now[0] += 7
    assert scheduler.start_poll(source)
    scheduler.delivered(source)
    assert scheduler.kafka_failed(source) == 2  # one delivered batch ends the growth
