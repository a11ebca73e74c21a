"""The notifier through the real broker and search engine: signed webhook payloads, a failing
channel that recovers, acknowledgement stopping escalation, tenant isolation, restart."""

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from alerts.notify.channels.webhook import webhook_body
from alerts.notify.contract import Notification, Recipient
from alerts.notify.log import NotificationLog
from runtime.indices import make_client
from schemas.config import VeilleConfig
from schemas.incident import Incident, IncidentEvent, MentionRef
from schemas.topics import Topics, incident_key
from tests.helpers import (
    TANSU_CONSUMER,
    make_config,
    produce,
    revealed,
    start_cli_worker,
    wait_until,
    workers,
    write_config,
)
from tests.local_http import LocalHttp, Reply, Request
from tests.tansu import TansuBroker
from veille.cli import main as cli
from veille.runner import build_notify, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

SECRET_A = "whsec_" + base64.b64encode(b"tenant-a-signing-key-0123456789").decode()
SECRET_B = "whsec_" + base64.b64encode(b"tenant-b-signing-key-9876543210").decode()
SATURDAY_NIGHT = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)  # 23:30 in Paris


class FakeClock:
    """Runs at real speed from `start`; `advance` jumps ahead (an escalation delay)."""

    def __init__(self, start: datetime) -> None:
        self.at = start
        self._t0 = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.at + timedelta(seconds=time.monotonic() - self._t0)

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.at += timedelta(**delta)


def oncall(prefix: str) -> dict[str, Any]:
    """Two people; `prefix`-alice covers every night (the weekend rotation), then the manager."""
    return {
        "people": [
            {"id": f"{prefix}-alice", "name": f"Alice {prefix.upper()}"},
            {"id": f"{prefix}-bob", "name": f"Bob {prefix.upper()}"},
        ],
        "schedules": [{"id": "week-end", "layers": [
            {"id": "rotation", "members": [f"{prefix}-alice"], "length": "weekly",
             "start": "2026-11-02", "handoff": "09:00"}]}],
        "escalation_policies": [{"id": "astreinte", "levels": [
            {"targets": ["week-end"], "delay_minutes": 15},
            {"targets": [f"{prefix}-bob"], "delay_minutes": 15}]}],
    }  # fmt: skip


def notify_config(stack: EmbeddedStack, http: LocalHttp, **notify: Any) -> VeilleConfig:
    config = make_config(stack.kafka_bootstrap, stack.elasticsearch_url)
    raw = config.model_dump(mode="json", exclude_none=True)
    raw["tenants"][0]["oncall"] = oncall("a")
    raw["tenants"][1]["oncall"] = oncall("b")
    raw["alerts"]["channels"] = {
        "hook_a": {"type": "webhook", "url": f"{http.base}/a", "secret": SECRET_A,
                   "timeout_s": 2},
        "hook_b": {"type": "webhook", "url": f"{http.base}/b", "secret": SECRET_B,
                   "timeout_s": 2},
        "console": {"type": "console"},
    }  # fmt: skip
    raw["alerts"]["routes"] = [
        {"tenant": "agence-horizon", "channels": ["hook_a"], "escalation": "astreinte"},
        {"tenant": "maison-lumen", "channels": ["hook_b"], "escalation": "astreinte"},
    ]
    raw["alerts"]["notify"] = {"group_wait_s": 0, "retry_initial_s": 0.2, "retry_max_s": 1,
                               **notify}  # fmt: skip
    return VeilleConfig.model_validate(raw)


def incident(tenant: str = "agence-horizon", brand: str = "air-volaris", n: int = 1) -> Incident:
    return Incident(
        id=f"{tenant}-{brand}-{n}", tenant=tenant, brand=brand, kind="crisis", status="open",
        severity="warning", trigger="negative_acceleration", opened_at=SATURDAY_NIGHT,
        updated_at=SATURDAY_NIGHT, window_minutes=10, count=12, stories=11, signal=13.2,
        baseline=0.5, peak_signal=13.2, negative_share=0.9,
        summary="12 mentions négatives (11 histoires) en 10 min, ×26 l'habituel",
        top_mentions=[MentionRef(id="m1", url="https://social.example/p/1",
                                 text="Vol annulé, honteux", published_at=SATURDAY_NIGHT)],
    )  # fmt: skip


def publish(config: VeilleConfig, *incidents: Incident, event: str = "opened") -> None:
    events = [IncidentEvent(event=event, at=i.opened_at, incident=i,  # type: ignore[arg-type]
                            emitted_at=i.opened_at) for i in incidents]  # fmt: skip
    produce(config, Topics(config.kafka.topic_prefix).incidents,
            [e.model_dump_json().encode() for e in events],
            [incident_key(i) for i in incidents])  # fmt: skip


def escalating_on_tansu(stack: EmbeddedStack, tansu: TansuBroker, http: LocalHttp) -> VeilleConfig:
    """`notify_config` on tansu, level 2 due one minute after level 1, the web
    server off (several notifier processes on one host)."""
    raw = revealed(notify_config(stack, http))
    raw["kafka"]["bootstrap_servers"] = tansu.bootstrap
    raw["kafka"]["consumer"] |= TANSU_CONSUMER
    raw["alerts"]["notify"]["web"] = {"enabled": False}
    for tenant in raw["tenants"]:
        tenant["oncall"]["escalation_policies"][0]["levels"][0]["delay_minutes"] = 1
    return VeilleConfig.model_validate(raw)


def level_1_sent(config: VeilleConfig, http: LocalHttp, crisis: Incident) -> NotificationLog:
    """Publish `crisis` and wait until its level 1 reached /a and the notification log has it
    sent; the log, to read the records from."""
    notifications = NotificationLog(make_client(config.elasticsearch), config.elasticsearch)
    publish(config, crisis)
    wait_until(lambda: http.hits("/a"), timeout_s=120, what="level 1")
    wait_until(lambda: any(r.status == "sent" for r in
                           notifications.records_for(crisis.tenant, crisis.id)),
               timeout_s=60, what="level 1 recorded")  # fmt: skip
    return notifications


@pytest.fixture
def http() -> Iterator[LocalHttp]:
    server = LocalHttp()
    server.route("/a", Reply(204))
    server.route("/b", Reply(204))
    yield server
    server.close()


def notifier(clock: FakeClock) -> dict[str, Any]:
    return {"notify": lambda config, stop: build_notify(config, stop, clock.now)}


def body(request: Request) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(request.body)
    return parsed


def test_a_crisis_reaches_the_receiver_as_an_exact_signed_webhook(
    stack: EmbeddedStack, http: LocalHttp
) -> None:
    clock = FakeClock(SATURDAY_NIGHT)
    config = notify_config(stack, http)
    crisis = incident()
    with workers(config, "notify", builders=notifier(clock)):
        publish(config, crisis)
        wait_until(lambda: http.hits("/a"), timeout_s=60, what="the page at the receiver")
    request = http.hits("/a")[0]
    payload = Webhook(SECRET_A).verify(request.body, request.headers)  # signature, 5-min window
    sent_at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)  # real time, as verified
    expected = Notification(
        id=request.headers["webhook-id"], action="trigger", tenant="agence-horizon",
        recipient=Recipient(id="a-alice", name="Alice A"), incident=crisis,
        reason="niveau 1 : première notification (tour 1/1)", step=0,
    )  # fmt: skip
    stamped = datetime.fromisoformat(payload["timestamp"])
    assert int(stamped.timestamp()) == int(sent_at.timestamp())
    assert payload == json.loads(json.dumps(webhook_body(expected, stamped)))
    assert payload["type"] == "incident.trigger"
    assert payload["data"]["recipient"] == {"id": "a-alice", "name": "Alice A"}
    assert payload["data"]["incident"]["id"] == crisis.id
    assert "Alice A" in payload["data"]["text"] and "×26" in payload["data"]["text"]
    assert http.hits("/b") == []  # tenant B's channel is never used for tenant A


def test_five_brands_in_crisis_within_group_wait_reach_the_person_as_one_message(
    stack: EmbeddedStack, http: LocalHttp
) -> None:
    clock = FakeClock(SATURDAY_NIGHT)
    config = notify_config(stack, http, group_wait_s=3)
    crises = [incident(brand=f"marque-{n}") for n in range(5)]
    with workers(config, "notify", builders=notifier(clock)) as running:
        publish(config, *crises[:2])
        time.sleep(1.0)  # a later batch: the three others join the wait of the first two
        publish(config, *crises[2:])
        wait_until(lambda: http.hits("/a"), timeout_s=60, what="the grouped page")
        stage = running.workers["notify"].stage
        wait_until(lambda: len(stage.threads()) == 5, what="five threads")
        time.sleep(1.5)  # any second message would be out by now
        hits = http.hits("/a")
    assert len(hits) == 1
    data = body(hits[0])["data"]
    told = [data["incident"]["id"], *(other["id"] for other in data["grouped"])]
    assert sorted(told) == sorted(c.id for c in crises)
    assert all(c.id in data["text"] for c in crises)
    log = NotificationLog(make_client(config.elasticsearch), config.elasticsearch)
    first = [r for c in crises for r in log.records_for("agence-horizon", c.id) if r.step == 0]
    assert sorted(r.status for r in first) == ["sent"] * 5
    assert sum("même message" in r.note for r in first) == 4


def test_a_failing_channel_delivers_once_when_it_recovers_and_holds_no_one_else(
    stack: EmbeddedStack, http: LocalHttp
) -> None:
    clock = FakeClock(SATURDAY_NIGHT)
    config = notify_config(stack, http)
    failures = {"left": 4}

    def flaky(request: Request) -> Reply:
        if failures["left"] > 0:
            failures["left"] -= 1
            return Reply(500, b"down")
        return Reply(204)

    http.route("/a", flaky)
    with workers(config, "notify", builders=notifier(clock)) as running:
        publish(config, incident())
        wait_until(lambda: len(http.hits("/a")) >= 2, timeout_s=60, what="A failing")
        publish(config, incident("maison-lumen", "lumen"))
        # B is delivered while A is still failing: its queue is its own
        wait_until(lambda: http.hits("/b"), timeout_s=30, what="B's page")
        assert failures["left"] > 0, "A recovered before B was sent: the test proves nothing"
        wait_until(lambda: failures["left"] == 0 and len(http.hits("/a")) == 5, timeout_s=60,
                   what="A recovering")  # fmt: skip
        stage = running.workers["notify"].stage
        wait_until(lambda: any(r.status == "sent" and r.channel == "hook_a"
                               for r in running.workers["notify"].dispatcher.delivered),
                   timeout_s=30, what="A recorded sent")  # fmt: skip
        assert stage is not None
    ids = {r.headers["webhook-id"] for r in http.hits("/a")}
    assert len(ids) == 1  # the same notification each time: a receiver de-duplicates on it
    es = make_client(config.elasticsearch)
    record = NotificationLog(es, config.elasticsearch).records_for(
        "agence-horizon", "agence-horizon-air-volaris-1"
    )[0]
    assert record.status == "sent" and record.attempts == 5 and record.delivery is not None
    assert record.delivery.status == 204 and record.last_error == "hook_a: HTTP 500: down"
    assert "127.0.0.1" not in (record.last_error or "")  # the URL is a secret


def test_an_acknowledgement_by_the_cli_stops_the_escalation(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    clock = FakeClock(SATURDAY_NIGHT)
    config = notify_config(stack, http)
    crisis = incident()
    with workers(config, "notify", builders=notifier(clock)) as running:
        publish(config, crisis)
        wait_until(lambda: http.hits("/a"), timeout_s=60, what="level 1")
        stage = running.workers["notify"].stage
        path = write_config(config, tmp_path / "veille.yaml")
        assert cli(["--config", str(path), "incidents", "ack", crisis.id, "--by", "Alice"]) == 0
        wait_until(lambda: any(t.status == "acknowledged" for t in stage.threads()),
                   timeout_s=30, what="the acknowledgement")  # fmt: skip
        clock.advance(minutes=20)  # level 2 (Bob) was due after 15 minutes
        wait_until(lambda: len(http.hits("/a")) >= 2, timeout_s=30, what="the ack notice")
        threading.Event().wait(1.0)
    kinds = [body(r)["type"] for r in http.hits("/a")]
    assert kinds == ["incident.trigger", "incident.acknowledge"]  # Bob is never paged
    es = make_client(config.elasticsearch)
    records = NotificationLog(es, config.elasticsearch).records_for(crisis.tenant, crisis.id)
    level2 = [r for r in records if r.level == 2]
    assert level2 and all(r.status == "cancelled" for r in level2)
    assert all("acquitté par Alice" in r.note for r in level2)
    listed = subprocess.run([sys.executable, "-m", "veille.cli", "--config", str(path),
                             "incidents", "list", "--tenant", crisis.tenant],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert crisis.id in listed and "acknowledged" in listed and "by Alice" in listed


def test_without_an_acknowledgement_level_2_is_paged_on_time(
    stack: EmbeddedStack, http: LocalHttp
) -> None:
    clock = FakeClock(SATURDAY_NIGHT)
    config = notify_config(stack, http)
    with workers(config, "notify", builders=notifier(clock)):
        publish(config, incident())
        wait_until(lambda: http.hits("/a"), timeout_s=60, what="level 1")
        clock.advance(minutes=14)
        threading.Event().wait(1.0)
        assert len(http.hits("/a")) == 1  # not before its delay
        clock.advance(minutes=2)
        wait_until(lambda: len(http.hits("/a")) == 2, timeout_s=30, what="level 2")
    second = body(http.hits("/a")[1])["data"]
    assert second["recipient"]["id"] == "a-bob" and second["step"] == 1


def test_kill_9_mid_escalation_then_restart_loses_no_step_and_doubles_none(
    stack: EmbeddedStack,
    tansu: TansuBroker,
    http: LocalHttp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Level 1 sent, level 2 due one (real) minute later: the notifier is killed in between
    and restarted; level 2 comes once, level 1 is not sent again."""
    for name, secret in (("A", SECRET_A), ("B", SECRET_B)):  # secrets: environment only
        monkeypatch.setenv(
            f"VEILLE__ALERTS__CHANNELS__HOOK_{name}__URL", f"{http.base}/{name.lower()}"
        )
        monkeypatch.setenv(f"VEILLE__ALERTS__CHANNELS__HOOK_{name}__SECRET", secret)
    config = escalating_on_tansu(stack, tansu, http)
    prepare(config)
    path = write_config(config, tmp_path / "veille.yaml")
    crisis = incident(n=9)
    log_path = tmp_path / "notify.log"
    worker = start_cli_worker(path, log_path, "alerts", "notify")
    try:
        notifications = level_1_sent(config, http, crisis)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    first_sent = time.monotonic()
    pending = [r for r in notifications.records_for(crisis.tenant, crisis.id)
               if r.status == "pending"]  # fmt: skip
    assert [r.level for r in pending] == [2], "level 2 should still be due at the kill"
    worker = start_cli_worker(path, log_path, "alerts", "notify")
    try:
        wait_until(lambda: len(http.hits("/a")) >= 2, timeout_s=120, what="level 2 after restart")
        time.sleep(3)  # a doubled step would show now
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert time.monotonic() - first_sent < 90
    ids = [r.headers["webhook-id"] for r in http.hits("/a")]
    assert len(ids) == 2 and len(set(ids)) == 2  # each step once
    assert [body(r)["data"]["recipient"]["id"] for r in http.hits("/a")] == ["a-alice", "a-bob"]
    records = notifications.records_for(crisis.tenant, crisis.id)
    assert [(r.level, r.status, r.attempts) for r in records] == [(1, "sent", 1), (2, "sent", 1)]
