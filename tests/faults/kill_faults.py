"""Fault rows of the alert stages killed with SIGKILL and restarted, on tansu (it expires
the dead member): the alerts worker mid-stream of a crisis, the notifier between two levels
of an escalation. Both page a real local HTTP receiver. Same servers and rows as
scenarios.py."""

import time
from collections import Counter
from contextlib import suppress
from datetime import timedelta

from alerts.replay.command import replay
from schemas.enriched import EnrichedMention
from schemas.incident import IncidentEvent
from schemas.topics import Topics, brand_key
from tests.faults.scale_faults import _times
from tests.faults.scenarios import Row, Servers
from tests.helpers import (
    committed_offsets,
    produce,
    read_topic,
    start_cli_worker,
    wait_until,
    write_config,
)
from tests.integration.test_notify import (
    SECRET_A,
    body,
    escalating_on_tansu,
    incident,
    level_1_sent,
)
from tests.integration.test_scale_out import kill, opened_all, owned, scenario, stop
from tests.local_http import LocalHttp, Reply, Request
from veille.runner import group_id, prepare, start_workers

# --- kill -9 of the alerts worker mid-crisis, then a restart ------------------------------


def told(requests: list[Request]) -> dict[str, list[tuple[str, str]]]:
    """Per incident, the (kind, webhook id) of each message that named it (as the incident
    or grouped with it); kind "page" for a first trigger, else the action (a severity rise:
    "aggravation")."""
    found: dict[str, list[tuple[str, str]]] = {}
    for request in requests:
        data = body(request)["data"]
        kind = (
            data["action"]
            if data["action"] != "trigger"
            else ("aggravation" if str(data["reason"]).startswith("aggravation") else "page")
        )
        for named in [data["incident"], *(data.get("grouped") or [])]:
            found.setdefault(named["id"], []).append((kind, request.header("webhook-id") or ""))
    return found


def pages_of(messages: dict[str, list[tuple[str, str]]], incident_id: str) -> int:
    return [kind for kind, _ in messages.get(incident_id, [])].count("page")


def kill_alerts(s: Servers) -> list[Row]:
    """Three weeks of two brands with crises (test_scale_out's scenario) on mentions.enriched,
    up to a few minutes after the first incident opens; `veille alerts run` as its own
    process, killed once that incident was paged; restarted, and the rest of the stream
    produced. Index and notify run in-process, the notifier paging a local webhook (a route
    without escalation). The restarted worker rebuilds its brands from the index and
    publishes their last hour's transitions again (same incident ids): the open incident
    must not be paged twice. An incident opened and ended within one batch of the notifier
    is told only its end (the page was cancelled before it was due): "told" counts both."""
    lines, brands = scenario(2)
    tenant = {"id": "agence-horizon", "name": "Agence Horizon",
              "brands": [{"id": b, "name": b, "queries": [{"id": "q", "query": b}]}
                         for b in brands]}  # fmt: skip
    http = LocalHttp()
    http.route("/hook", Reply(204))
    alerts = {
        "warmup_days": 22,  # a rebuilt brand sees all of its history
        "channels": {"hook": {"type": "webhook", "url": f"{http.base}/hook",
                              "secret": SECRET_A, "timeout_s": 2}},
        "routes": [{"tenant": "agence-horizon", "channels": ["hook"]}],
        "notify": {"group_wait_s": 0, "retry_initial_s": 0.2, "retry_max_s": 1,
                   "web": {"enabled": False}},
    }  # fmt: skip
    config = s.tansu_config(tenants=[tenant], alerts=alerts)
    topics = Topics(config.kafka.topic_prefix)
    transitions = replay(b"\n".join(lines), config.detection_rule_or_default)
    expected = {t.incident.id for t in transitions if t.event == "opened"}
    first = min((t for t in transitions if t.event == "opened"), key=lambda t: t.at)
    ends = [t.at for t in transitions if t.incident.id == first.incident.id and t.event ==
            "resolved"]  # fmt: skip
    mentions = [EnrichedMention.model_validate_json(line) for line in lines]
    keys = [brand_key("agence-horizon", m.brands[0]) for m in mentions]
    # the stream pauses half-way through the first incident: its opening bucket closed (the
    # watermark past its end and the allowed lateness), its end not yet in sight (the scenario
    # starts three weeks before now, on the hour: its incidents move with the hour of the run)
    cut = first.at + ((min(ends) - first.at) / 2 if ends else timedelta(minutes=30))
    before = [k for k, m in enumerate(mentions) if m.published_at <= cut]
    after = [k for k, m in enumerate(mentions) if m.published_at > cut]
    prepare(config)
    path = write_config(config, s.work / "kill-alerts.yaml")
    log = s.work / "kill-alerts.log"
    group = group_id(config, "alerts")
    running = start_workers(config, ("index", "notify"))
    try:
        process = start_cli_worker(path, log, "alerts", "run")
        wait_until(lambda: not running.not_ready(10**9) and owned(log, topics.enriched),
                   timeout_s=180, what="the notifier and the alerts worker assigned")  # fmt: skip
        produce(config, topics.enriched, [lines[k] for k in before], [keys[k] for k in before])
        try:
            wait_until(lambda: pages_of(told(http.hits("/hook")), first.incident.id),
                       timeout_s=300, what="the first incident paged")  # fmt: skip
        except AssertionError as exc:
            events = read_topic(config, topics.incidents, 1, timeout_s=2)
            raise AssertionError(f"{exc} ({len(events)} incident events; webhook: "
                                 f"{told(http.hits('/hook'))})") from None  # fmt: skip
        kill(process)
        at_kill = committed_offsets(config, group, topics.enriched)
        process = start_cli_worker(path, log, "alerts", "run")
        produce(config, topics.enriched, [lines[k] for k in after], [keys[k] for k in after])
        try:
            with suppress(AssertionError):  # the rows say what is missing
                wait_until(lambda: committed_offsets(config, group, topics.enriched)
                           >= len(lines), timeout_s=300, what="every mention read")  # fmt: skip
                # the last buckets close once every partition has been idle (10 s by default)
                wait_until(lambda: opened_all(config, expected), timeout_s=180)
                wait_until(lambda: set(told(http.hits("/hook"))) >= expected, timeout_s=60)
            time.sleep(5)  # a second page would show now
        finally:
            stop([process])
        events = [IncidentEvent.model_validate_json(v)
                  for v in read_topic(config, topics.incidents, 1, timeout_s=5)]  # fmt: skip
    finally:
        running.stop()
        http.close()
    opened = Counter(e.incident.id for e in events if e.event == "opened")
    resolved = {e.incident.id for e in events if e.event == "resolved"}
    ended = len({t.incident.id for t in transitions if t.event == "resolved"})
    if resolved != {t.incident.id for t in transitions if t.event == "resolved"}:
        print("\n".join(line for line in log.read_text(errors="replace").splitlines()
                        if "warmed up" in line or "gained" in line))  # fmt: skip
    messages = told(http.hits("/hook"))
    kinds = Counter(kind for sent in messages.values() for kind, _ in sent)
    paged_twice = sum(1 for incident_id in messages if pages_of(messages, incident_id) > 1)
    ids = [webhook_id for r in http.hits("/hook") if (webhook_id := r.header("webhook-id"))]
    pages_of_first = pages_of(messages, first.incident.id)
    k = len(expected)
    fault = (f"kill -9 alerts once its first incident was paged ({len(before)} of "
             f"{len(lines)} mentions produced, {at_kill} committed), restart")  # fmt: skip
    again = sum(n - 1 for n in opened.values())
    return [
        Row(f"{fault}: incidents ({again} `opened` published again)",
            f"the replay's {k}: 0 missing, 0 extra; {ended} of them resolved",
            f"the replay's {len(expected & set(opened))}: {len(expected - set(opened))} "
            f"missing, {len(set(opened) - expected)} extra; {len(resolved & expected)} of them "
            f"resolved"),
        Row(f"{fault}: messages at the webhook ({kinds['page']} pages, {kinds['resolve']} "
            f"end notices, {kinds['aggravation']} severity rises)",
            f"{k} of {k} incidents told, 0 paged twice, 0 messages delivered twice; the one "
            f"open at the kill paged once",
            f"{len(expected & set(messages))} of {k} incidents told, {paged_twice} paged twice, "
            f"{len(ids) - len(set(ids))} messages delivered twice; the one open at the kill "
            f"paged {_times(pages_of_first)}"),
    ]  # fmt: skip


# --- kill -9 of the notifier between two levels of an escalation ---------------------------


def kill_notify(s: Servers) -> Row:
    """One `veille alerts notify` (test_notify_scale's configuration: level 2 due a minute
    after level 1), killed once level 1 is delivered and recorded, restarted: it resumes
    the thread from the notification log and sends level 2; level 1 not again."""
    http = LocalHttp()
    http.route("/a", Reply(204))
    http.route("/b", Reply(204))
    config = escalating_on_tansu(s.noida, s.tansu, http)
    prepare(config)
    path = write_config(config, s.work / "kill-notify.yaml")
    log = s.work / "kill-notify.log"
    crisis = incident(n=41)
    process = start_cli_worker(path, log, "alerts", "notify")
    try:
        notifications = level_1_sent(config, http, crisis)
        kill(process)
        pending = [r.level for r in notifications.records_for(crisis.tenant, crisis.id)
                   if r.status == "pending"]  # fmt: skip
        process = start_cli_worker(path, log, "alerts", "notify")
        with suppress(AssertionError):  # the row says what is missing
            wait_until(lambda: len(http.hits("/a")) >= 2, timeout_s=240, what="level 2")
        time.sleep(5)  # a doubled step would show now
    finally:
        stop([process])
        http.close()
    level = {"a-alice": 1, "a-bob": 2}  # test_notify's on-call: alice, then bob
    sent = [level.get(body(r)["data"]["recipient"]["id"], 0) for r in http.hits("/a")]
    ids = {r.header("webhook-id") for r in http.hits("/a")}
    return Row(f"kill -9 notify between level 1 and level 2 (level(s) {pending} pending at "
               f"the kill), restart ({len(ids)} webhook ids)",
               "level 1 delivered once, level 2 delivered once",
               f"level 1 delivered {_times(sent.count(1))}, level 2 delivered "
               f"{_times(sent.count(2))}")  # fmt: skip
