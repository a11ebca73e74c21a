"""Retention's arithmetic: a month expires once its last day is retention_days old; the ILM
policy (Elasticsearch only) never deletes earlier than that."""

from datetime import UTC, date, datetime, timedelta

from history.retention import LONGEST_MONTH_DAYS, expired, ilm_index_settings, ilm_policy
from runtime.indices.names import MonthlyIndex
from schemas.config import ElasticsearchSettings

OCTOBER = MonthlyIndex(date(2026, 10, 1), 1, "veille-mentions-a.v1-2026.10.01")
DECEMBER = MonthlyIndex(date(2026, 12, 1), 1, "veille-mentions-a.v1-2026.12.01")


def test_a_month_expires_when_its_last_day_is_old_enough() -> None:
    nov_first = datetime(2026, 11, 1, tzinfo=UTC)
    assert expired(OCTOBER, 30, nov_first + timedelta(days=30))
    assert not expired(OCTOBER, 30, nov_first + timedelta(days=30) - timedelta(seconds=1))
    jan_first = datetime(2027, 1, 1, tzinfo=UTC)  # December rolls over the year
    assert expired(DECEMBER, 1, jan_first + timedelta(days=1))
    assert not expired(DECEMBER, 1, jan_first)


def test_ilm_policy_waits_for_the_whole_month() -> None:
    policy = ilm_policy(400)
    assert policy["phases"]["delete"]["min_age"] == f"{400 + LONGEST_MONTH_DAYS}d"
    assert policy["phases"]["delete"]["actions"] == {"delete": {}}
    found = ilm_index_settings(ElasticsearchSettings(), "agence")
    assert found == {"index.lifecycle.name": "veille-retention-agence",
                     "index.lifecycle.parse_origination_date": True}  # fmt: skip
