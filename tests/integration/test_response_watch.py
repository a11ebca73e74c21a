"""`veille response watch` through real parts: posts and brand replies on the embedded engine,
each team's webhook a local HTTP receiver. First-reply times and the week's median and p90
land in the responses index; each overdue post reaches its team once, oldest first, even
across a restart of the watch; a failed channel gets it again at the next tick; an overdue
post of an open crisis pages."""

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from history.response import iso_week
from runtime.indices import make_client, responses_alias
from schemas.config import ResponseSettings, TeamSettings, VeilleConfig, WebhookChannelSettings
from tests.history_data import store, stored_incident
from tests.local_http import LocalHttp, Reply
from tests.response_data import BRAND_ACCOUNTS, post
from veille.response_worker import ResponseWatchService, build_response_watch

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "whsec_" + base64.b64encode(b"response-watch-signing-key").decode()
BRAND = "@AirVolaris"
PARIS = ZoneInfo("Europe/Paris")


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def _config(noida_config: VeilleConfig, http: LocalHttp) -> VeilleConfig:
    rules = ResponseSettings(business_delay_minutes=60, off_hours_delay_minutes=60, teams=[
        TeamSettings(id="advisers", intents=["service_request"], channels=["advisers-hook"]),
        TeamSettings(id="community", intents=["complaint"], channels=["community-hook"]),
        TeamSettings(id="experts", intents=["question"]),  # no channel: never notified
    ])  # fmt: skip
    hooks = {f"{team}-hook": WebhookChannelSettings(url=SecretStr(f"{http.base}/{team}"),
                                                    secret=SecretStr(SECRET))
             for team in ("advisers", "community")}  # fmt: skip
    tenants = [t.model_copy(update={"brand_accounts": BRAND_ACCOUNTS, "response": rules})
               if t.id == "agence-horizon" else t for t in noida_config.tenants]  # fmt: skip
    alerts = noida_config.alerts.model_copy(
        update={"channels": {**noida_config.alerts.channels, **hooks}})  # fmt: skip
    return noida_config.model_copy(update={"tenants": tenants, "alerts": alerts})


@pytest.fixture
def watched(noida_config: VeilleConfig, http: LocalHttp) -> VeilleConfig:
    config = _config(noida_config, http)
    store(config, [
        post("Air Volaris mon bagage est perdu depuis hier", ago(30), native_id="a"),
        post("Air Volaris vol annulé, remboursement ?", ago(5), native_id="b"),
        post("Nous regardons votre dossier", ago(4.5), "other", 0.0, native_id="b-re",
             in_reply_to="b", handle=BRAND),
        post("Air Volaris ma réservation a disparu", ago(3), native_id="d"),
        post("Bonjour, un conseiller vous écrit", ago(2), "other", 0.0, native_id="d-re",
             in_reply_to="d", handle=BRAND),
        post("Air Volaris service client inexistant", ago(2), "complaint", -0.8, native_id="c"),
        post("Air Volaris le wifi à bord marche comment ?", ago(2.5), "question", 0.0,
             native_id="q"),
        post("Air Volaris remboursement de mon billet ?", ago(0.2), native_id="f"),
    ])  # fmt: skip
    return config


def _lists(http: LocalHttp, team: str) -> list[dict[str, Any]]:
    """Each overdue list the team's receiver got, its signature checked."""
    out = []
    for request in http.hits(f"/{team}"):
        if request.headers.get("x-fail"):
            continue
        headers = {k.lower(): v for k, v in request.headers.items()}
        Webhook(SECRET).verify(request.body, headers)
        out.append(json.loads(request.body))
    return out


def _texts(body: dict[str, Any]) -> list[str]:
    return [p["text"] for p in body["data"]["overdue"]["posts"]]


def _service(config: VeilleConfig, now: datetime = NOW) -> ResponseWatchService:
    return build_response_watch(config, threading.Event(), clock=lambda: now)


def test_reply_times_and_overdue_lists_once_per_team(
    watched: VeilleConfig, http: LocalHttp
) -> None:
    http.route("/advisers", Reply(204))
    failures = iter([Reply(500, b"down")])
    http.route("/community", lambda _r: next(failures, Reply(204)))

    service = _service(watched)
    assert service.tick() == 1  # advisers told; community's receiver answered 500
    [advisers] = _lists(http, "advisers")
    assert advisers["type"] == "response_overdue.info"  # a notice: pages nobody
    assert _texts(advisers) == ["Air Volaris mon bagage est perdu depuis hier"]
    assert "1 post(s) en retard pour advisers" in advisers["data"]["text"]
    assert len(http.hits("/community")) == 1  # tried, failed, not marked sent

    assert service.tick() == 1  # the community list again, now delivered; advisers not again
    assert len(_lists(http, "advisers")) == 1
    community = _lists(http, "community")
    assert [_texts(b) for b in community[-1:]] == [["Air Volaris service client inexistant"]]
    assert len({b["data"]["notification_id"] for b in community}) == 1  # same id each try
    hits = len(http.requests)

    restarted = _service(watched)  # a new process: what was sent is in the index
    assert restarted.tick() == 0
    assert len(http.requests) == hits

    es = make_client(watched.elasticsearch)
    alias = responses_alias(watched.elasticsearch, "agence-horizon")
    es.indices.refresh(index=alias)
    found = es.search(index=alias, size=100, query={"match_all": {}})["hits"]["hits"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for hit in found:
        by_kind.setdefault(hit["_source"]["kind"], []).append(hit["_source"])
    replies = sorted(by_kind["post"], key=lambda s: s["published_at"])
    assert [(r["team"], r["reply_seconds"], r["on_time"]) for r in replies] == [
        ("advisers", 1800.0, True), ("advisers", 3600.0, True)]  # fmt: skip
    assert len(by_kind["overdue"]) == 2  # a (advisers) and c (community)
    week_of = {r["week"] for r in replies}
    weeks = [w for w in by_kind["week"] if w["team"] == "advisers"]
    for week in weeks:  # figures checked against the post records themselves
        times = sorted(r["reply_seconds"] for r in replies if r["week"] == week["week"])
        assert week["answered"] == len(times)
        assert week["median_seconds"] == times[(len(times) + 1) // 2 - 1]
        assert week["p90_seconds"] == times[-1]
    assert {w["week"] for w in weeks} == week_of
    assert week_of <= {iso_week(ago(5), PARIS), iso_week(ago(3), PARIS)}


def test_an_overdue_post_of_an_open_crisis_pages(watched: VeilleConfig, http: LocalHttp) -> None:
    http.route("/advisers", Reply(204))
    http.route("/community", Reply(204))
    service = _service(watched)
    service.tick()
    crisis_post = post("Air Volaris toujours aucune réponse pour mon vol annulé", ago(1.5),
                       native_id="g")  # fmt: skip
    yesterday = post("Air Volaris ma carte d'embarquement ne s'affiche pas", ago(20),
                     native_id="y")  # overdue, but from before the crisis  # fmt: skip
    store(watched, [crisis_post, yesterday])
    incident = stored_incident(watched, [crisis_post], ago(1))
    assert service.tick() == 2
    page, note = sorted(_lists(http, "advisers")[-2:], key=lambda b: b["type"], reverse=True)
    assert page["type"] == "response_overdue.trigger"
    assert page["data"]["action"] == "trigger"
    assert page["data"]["overdue"]["crisis"] == incident.id
    assert _texts(page) == ["Air Volaris toujours aucune réponse pour mon vol annulé"]
    assert note["type"] == "response_overdue.info" and note["data"]["overdue"]["crisis"] is None
    assert _texts(note) == ["Air Volaris ma carte d'embarquement ne s'affiche pas"]
