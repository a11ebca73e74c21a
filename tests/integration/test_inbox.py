"""`veille inbox` on the embedded engine: the posts of a tenant that wait for an answer,
read through its read alias, a brand account's indexed replies (direct or down the thread)
taking posts out of it, oldest first, by team."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from history.inbox import unanswered
from runtime.indices import make_client
from schemas.config import ResponseSettings, TeamSettings, VeilleConfig
from tests.helpers import write_config
from tests.history_data import store
from tests.response_data import BRAND_ACCOUNTS, post
from veille.cli import main

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


@pytest.fixture
def watched(noida_config: VeilleConfig) -> VeilleConfig:
    tenants = [t.model_copy(update={"brand_accounts": BRAND_ACCOUNTS, "response": ResponseSettings(
        off_hours_delay_minutes=60, teams=[TeamSettings(id="advisers", intents=["service_request"]),
               TeamSettings(id="community", intents=["complaint"])])})
        if t.id == "agence-horizon" else t for t in noida_config.tenants]  # fmt: skip
    config = noida_config.model_copy(update={"tenants": tenants})
    brand = "@AirVolaris"
    store(config, [
        post("Air Volaris mon bagage est perdu depuis hier", ago(30), native_id="a",
             followers=5000),
        post("Air Volaris vous volez vers Nantes ?", ago(3), "question", 0.0, native_id="b"),
        post("Bonjour, oui, trois vols par jour", ago(2), "question", 0.0, native_id="b-re",
             in_reply_to="b", handle=brand),
        post("Air Volaris service client inexistant", ago(1.5), "complaint", -0.8,
             native_id="c"),
        post("toujours aucune nouvelle", ago(1.2), "other", -0.3, native_id="c-1",
             in_reply_to="c"),
        post("Nous sommes désolés, écrivez-nous en DM", ago(1), "other", 0.0, native_id="c-re",
             in_reply_to="c-1", handle=brand),
        post("Air Volaris le wifi à bord marche comment ?", ago(2.5), "question", 0.0,
             native_id="h"),
        post("Merci Air Volaris pour ce vol", ago(2), "praise", 0.8, native_id="e"),
        post("Air Volaris remboursement de mon billet ?", ago(0.2), native_id="f"),
        post("Lumen: ma lampe n'est jamais arrivée", ago(4), native_id="g",
             tenant="maison-lumen"),
    ])  # fmt: skip
    return config


def test_what_waits_for_an_answer_oldest_first(watched: VeilleConfig) -> None:
    """(Delays of 1 h day and night here: the delay rules are tests/unit/test_response_watch.py.)"""
    es = make_client(watched.elasticsearch)
    tenant = watched.tenants[0]
    waiting = unanswered(es, watched.elasticsearch, tenant, NOW, timedelta(days=7))
    assert [w.post.native_id for w in waiting] == ["a", "h", "f"]
    assert [w.overdue(NOW) for w in waiting] == [True, True, False]
    assert [w.team for w in waiting] == ["advisers", None, "advisers"]
    advisers = unanswered(es, watched.elasticsearch, tenant, NOW, timedelta(days=7), "advisers")
    assert [w.post.native_id for w in advisers] == ["a", "f"]
    recent = unanswered(es, watched.elasticsearch, tenant, NOW, timedelta(hours=24))
    assert [w.post.native_id for w in recent] == ["h", "f"]


def test_inbox_command(watched: VeilleConfig, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    path = write_config(watched, tmp_path / "veille.yaml")
    assert main(["--config", str(path), "inbox", "--tenant", "agence-horizon",
                 "--team", "advisers"]) == 0  # fmt: skip
    header, first, second = capsys.readouterr().out.splitlines()
    assert header.split()[:5] == ["age", "intent", "reach", "team", "late"]
    assert first.split()[:5] == ["1d06h", "service_request", "5000", "advisers", "yes"]
    assert "https://social.example/p/a" in first and "bagage est perdu" in first
    assert second.split()[1:4] == ["service_request", "120", "advisers"]
    hours, minutes = second.split()[0].split("h")  # the command ages posts on the wall clock,
    late_by = (datetime.now(UTC) - NOW).total_seconds() / 60  # minutes after NOW was taken
    assert 12 <= int(hours) * 60 + int(minutes) <= 12 + late_by + 1
    assert main(["--config", str(path), "inbox", "--tenant", "agence-horizon",
                 "--team", "experts"]) == 2  # fmt: skip
    assert "no team 'experts' (teams: advisers, community)" in capsys.readouterr().err
