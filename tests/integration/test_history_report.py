"""The weekly report rendered from mentions indexed in the embedded engine: its figures are
checked against the index, in the tenant's days (Europe/Paris), and the PDF is written."""

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from history.report_data import weekly_figures
from history.report_render import fr_duration, write_report
from history.response_watch import ResponseWatch
from runtime.indices import make_client, mentions_alias, responses_alias
from schemas.config import BrandSettings, ResponseSettings, TeamSettings, VeilleConfig
from tests.history_data import dated, store, stored_incident
from tests.response_data import BRAND_ACCOUNTS, post

pytestmark = pytest.mark.integration
MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=UTC) - timedelta(hours=1)  # 00:00 in Paris
NOW = MONDAY + timedelta(days=9)


def _at(text: str, score: float, at: datetime, **rest: object) -> object:
    return dated(text, score, hours_ago=(NOW - at).total_seconds() / 3600, now=NOW, **rest)  # type: ignore[arg-type]


def test_weekly_report_figures_match_the_index(noida_config: VeilleConfig, tmp_path: Path) -> None:
    rival = BrandSettings.model_validate(
        {
            "id": "jet-azur",
            "name": "Jet Azur",
            "role": "competitor",
            "queries": [{"id": "n", "query": "jet"}],
        }
    )
    tenant = noida_config.tenants[0].model_copy(
        update={"brands": [*noida_config.tenants[0].brands, rival]}
    )
    docs = [
        _at("Air Volaris retard", -0.8, MONDAY + timedelta(minutes=30), virality=80.0),  # lun.
        _at("Air Volaris annulé", -0.6, MONDAY + timedelta(days=2, hours=9)),
        _at("Air Volaris super", 0.7, MONDAY + timedelta(days=2, hours=10)),
        _at("Air Volaris bof", 0.0, MONDAY + timedelta(days=6, hours=23, minutes=30)),  # dim.
        _at("Jet Azur", 0.5, MONDAY + timedelta(days=3), brand="jet-azur"),
        _at("avant", -0.5, MONDAY - timedelta(minutes=5)),  # Sunday 23:55 Paris: last week
        _at("après", -0.5, MONDAY + timedelta(days=7, minutes=5)),  # next week
    ]
    store(noida_config, docs)  # type: ignore[arg-type]
    opened = MONDAY + timedelta(hours=1)
    stored_incident(
        noida_config, [docs[0]], opened, resolved_at=opened + timedelta(hours=2, minutes=15)
    )
    es = make_client(noida_config.elasticsearch)
    in_week = es.count(
        index=mentions_alias(noida_config.elasticsearch, tenant.id),
        query={
            "range": {
                "published_at": {
                    "gte": MONDAY.isoformat(),
                    "lt": (MONDAY + timedelta(days=7)).isoformat(),
                }
            }
        },
    )["count"]
    assert in_week == 5  # 4 own, 1 competitor

    figures = weekly_figures(es, noida_config.elasticsearch, tenant, "2026-W47", NOW)
    written = write_report(figures, tmp_path)
    html = written.html.read_text(encoding="utf-8")

    # own brand only (the competitor's mention counts in the share of voice)
    assert re.search(r'<b id="total">4</b>', html)
    assert figures.totals == {"negative": 2, "neutral": 1, "positive": 1}
    assert re.search(r'<b id="net">-33,3</b>', html)  # 100 × (1 − 2) / 3
    assert "+300 % vs semaine précédente" in html  # the Sunday 23:55 mention: last week
    assert "<tr><td>jeu. 19</td><td>0</td><td>0</td><td>0</td><td>0</td><td>—</td></tr>" in html
    assert (
        "<tr><td>lun. 16</td><td>1</td><td>0</td><td>0</td><td>1</td><td>-100,0</td></tr>" in html
    )
    assert "<tr><td>mer. 18</td><td>1</td><td>0</td><td>1</td><td>2</td><td>0,0</td></tr>" in html
    assert "<tr><td>dim. 22</td><td>0</td><td>1</td><td>0</td><td>1</td><td>—</td></tr>" in html
    assert "<tr><td>air-volaris</td><td>80,0 %</td></tr>" in html
    assert "<tr><td>jet-azur</td><td>20,0 %</td></tr>" in html
    assert "<td>30 min</td><td>non suivi</td><td>2 h 15</td>" in html
    assert "lun. 16/11 01:00" in html  # opened, in Paris time
    assert html.count('src="data:image/png;base64,') == 2
    assert written.pdf is not None and written.pdf.read_bytes().startswith(b"%PDF")


def test_weekly_report_reply_times_match_the_index(
    noida_config: VeilleConfig, tmp_path: Path
) -> None:
    """The watch ticks during the week; the report's reply-time rows are the index's week
    records, and those are checked against the post records beside them."""
    rules = ResponseSettings(business_delay_minutes=60, off_hours_delay_minutes=60, teams=[
        TeamSettings(id="advisers", intents=["service_request"]),
        TeamSettings(id="community", intents=["complaint"]),
    ], lookback_hours=24 * 8)  # fmt: skip
    tenant = noida_config.tenants[0].model_copy(
        update={"brand_accounts": BRAND_ACCOUNTS, "response": rules})  # fmt: skip
    tuesday = MONDAY + timedelta(days=1, hours=9)  # 10:00 in Paris
    docs = []
    for n, minutes in enumerate([12, 45, 20, 180, 30]):
        asked = tuesday + timedelta(hours=n)
        docs += [post(f"Air Volaris remboursement {n} ?", asked, native_id=f"p{n}"),
                 post("Nous regardons", asked + timedelta(minutes=minutes), "other", 0.0,
                      native_id=f"r{n}", in_reply_to=f"p{n}", handle="@AirVolaris")]  # fmt: skip
    docs += [post("Air Volaris service client nul", tuesday, "complaint", -0.8, native_id="c"),
             post("Désolés", tuesday + timedelta(minutes=75), "other", 0.0, native_id="c-re",
                  in_reply_to="c", handle="@AirVolaris"),
             post("Air Volaris et mon colis ?", tuesday, native_id="open")]  # fmt: skip
    store(noida_config, docs)
    es = make_client(noida_config.elasticsearch)
    ResponseWatch(es, noida_config.elasticsearch, tenant).tick(MONDAY + timedelta(days=6))
    ResponseWatch(es, noida_config.elasticsearch, tenant).tick(MONDAY + timedelta(days=6))  # again
    alias = responses_alias(noida_config.elasticsearch, tenant.id)
    es.indices.refresh(index=alias)
    posts = es.search(index=alias, size=100, query={"term": {"kind": "post"}})["hits"]["hits"]
    assert len(posts) == 6  # one per answered post, the tick repeated overwrote them

    figures = weekly_figures(es, noida_config.elasticsearch, tenant, "2026-W47", NOW)
    html = write_report(figures, tmp_path).html.read_text(encoding="utf-8")
    rows = []
    for team in ("advisers", "community"):
        seconds = sorted(p["_source"]["reply_seconds"] for p in posts
                         if p["_source"]["team"] == team)  # fmt: skip
        on_time = sum(p["_source"]["on_time"] for p in posts if p["_source"]["team"] == team)
        median = seconds[math.ceil(0.5 * len(seconds)) - 1]
        p90 = seconds[math.ceil(0.9 * len(seconds)) - 1]
        rows.append((team, len(seconds), on_time, median, p90))
        assert (f"<tr><td>{team}</td><td>{len(seconds)}</td><td>{on_time}</td>"
                f"<td>{fr_duration(timedelta(seconds=median))}</td>"
                f"<td>{fr_duration(timedelta(seconds=p90))}</td></tr>") in html  # fmt: skip
    assert rows == [("advisers", 5, 4, 30 * 60, 180 * 60), ("community", 1, 0, 75 * 60, 75 * 60)]
