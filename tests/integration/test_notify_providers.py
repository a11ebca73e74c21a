"""End to end through the real broker: an incident event on alerts.incidents, the real
notifier (`veille alerts notify`'s worker), and each provider's request as its receiver gets
it — the exact PagerDuty Events v2 and Opsgenie Alert API bodies, the Slack message, the
Standard Webhooks signature (checked with `standardwebhooks`), the e-mail on a real SMTP
server (aiosmtpd, STARTTLS) — then `veille incidents ack` and the detector's `resolved`
event reaching PagerDuty (acknowledge, resolve) and Opsgenie (acknowledge, close by alias)."""

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from alerts.notify.links import LinkSigner
from schemas.config import VeilleConfig
from schemas.incident import Incident
from tests.helpers import free_port, revealed, wait_until, workers, write_config
from tests.integration.test_notify import (
    SATURDAY_NIGHT,
    SECRET_A,
    FakeClock,
    body,
    incident,
    notifier,
    notify_config,
    publish,
)
from tests.local_http import LocalHttp, Reply, Request
from tests.smtp import PASSWORD, SmtpServer, running_smtp, throwaway_ca
from veille.cli import main as cli
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

ROUTING_KEY = "R0UTING-KEY-e2e-0123456789abcdef"
GENIE_KEY = "G3NIE-KEY-e2e-0123456789abcdef"
LINK_SECRET = "e2e-link-secret-0123456789"
SLACK_PATH = "/services/T0E2E/B0E2E/slack-e2e-token"
ENQUEUE = "/pd/v2/enqueue"
ALERTS = "/eu/v2/alerts"  # the Opsgenie host is configurable (api.eu.opsgenie.com)
# A long brand id and summary: Opsgenie's 130-character message and PagerDuty's
# 1,024-character summary are cut on the way.
BRAND = (
    "compagnie-aerienne-volaris-lignes-regulieres-et-vols-charters-"
    "antilles-reunion-mayotte-guyane-polynesie"
)
SUMMARY = "12 mentions négatives (11 histoires) en 10 min, ×26 l'habituel ; " + "z" * 1200
WHY = "niveau 1 : première notification (tour 1/1)"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    yield from running_smtp(*throwaway_ca(tmp_path), implicit_tls=False)


def provider_config(stack: EmbeddedStack, http: LocalHttp, smtp: SmtpServer) -> VeilleConfig:
    """Tenant A's on-call route pages through all five channels; B keeps its own webhook."""
    port = free_port()
    base = notify_config(stack, http, web={
        "listen_port": port, "public_url": f"http://127.0.0.1:{port}",
        "link_secret": LINK_SECRET})  # fmt: skip
    raw = revealed(base)
    raw["tenants"][0]["oncall"]["people"][0]["email"] = "alice@agence-horizon.example"
    raw["alerts"]["channels"] |= {
        "pd": {"type": "pagerduty", "routing_key": ROUTING_KEY, "api_url": f"{http.base}/pd",
               "timeout_s": 2},
        "og": {"type": "opsgenie", "api_key": GENIE_KEY, "api_url": f"{http.base}/eu",
               "timeout_s": 2},
        "slack": {"type": "slack", "webhook_url": http.base + SLACK_PATH, "timeout_s": 2},
        "mail": {**smtp.settings().model_dump(mode="json", exclude_none=True),
                 "type": "email", "password": PASSWORD, "to": ["ops@agence-horizon.example"]},
    }  # fmt: skip
    raw["alerts"]["routes"][0]["channels"] = ["hook_a", "pd", "og", "slack", "mail"]
    return VeilleConfig.model_validate(raw)


def major_crisis() -> Incident:
    return incident(brand=BRAND).model_copy(
        update={"id": "agence-horizon-e2e-1", "severity": "major", "summary": SUMMARY}
    )


def accept(http: LocalHttp, crisis: Incident) -> None:
    for path in ("/a", "/b"):
        http.route(path, Reply(204))
    http.route(ENQUEUE, Reply(202, b'{"status":"success","message":"Event processed",'
                                   b'"dedup_key":"' + crisis.id.encode() + b'"}'))  # fmt: skip
    accepted = Reply(202, b'{"result":"Request will be processed","requestId":"rq-1"}')
    for path in (ALERTS, f"{ALERTS}/{crisis.id}/acknowledge", f"{ALERTS}/{crisis.id}/close"):
        http.route(path, accepted)
    http.route(SLACK_PATH, Reply(200, b"ok"))


def pagerduty_trigger(crisis: Incident, link: str) -> dict[str, Any]:
    subject = f"[MAJEUR] Crise — {BRAND} (agence-horizon)"
    return {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": crisis.id,
        "payload": {
            "summary": f"{subject} : {SUMMARY}"[:1023] + "…",
            "source": "veille",
            "severity": "error",  # major
            "group": "agence-horizon",
            "timestamp": "2026-11-21T22:30:00+00:00",
            "component": BRAND,
            "class": "negative_acceleration",
            "custom_details": {
                "résumé": SUMMARY,
                "par rapport à l'habituel": "×26,4 le niveau habituel",
                "mentions": 12,
                "histoires distinctes": 11,
                "part négative": 0.9,
                "pourquoi": WHY,
                "publications": [
                    {
                        "texte": "Vol annulé, honteux",
                        "lien": "https://social.example/p/1",
                        "viralité": 0.0,
                    }
                ],
            },
        },
        "client": "veille",
        "client_url": link,
        "links": [{"href": link, "text": "Page de l'incident (veille)"}],
    }


def opsgenie_create(crisis: Incident, link: str) -> dict[str, Any]:
    subject = f"[MAJEUR] Crise — {BRAND} (agence-horizon)"
    assert len(subject) > 130
    return {
        "message": subject[:129] + "…",
        "alias": crisis.id,
        "description": "\n".join(
            [
                SUMMARY,
                "×26,4 le niveau habituel",
                f"Pourquoi vous : {WHY}",
                "• Vol annulé, honteux <https://social.example/p/1>",
                f"Page de l'incident (prendre en charge, résoudre) : {link}",
            ]
        ),
        "priority": "P2",  # major
        "source": "veille",
        "tags": ["veille", "agence-horizon", BRAND, "major", "crisis"],
        "details": {
            "tenant": "agence-horizon",
            "brand": BRAND,
            "incident": crisis.id,
            "trigger": "negative_acceleration",
            "ratio": "×26,4 le niveau habituel",
            "page": link,
        },
        "entity": BRAND,
    }


def slack_message(crisis: Incident, link: str) -> dict[str, Any]:
    subject = f"[MAJEUR] Crise — {BRAND} (agence-horizon)"
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label, "emoji": True},
         "action_id": f"veille_{verb}", "value": crisis.id, "url": link, **style}
        for verb, label, style in (("acknowledge", "Je prends", {"style": "primary"}),
                                   ("resolve", "Résolu", {}),
                                   ("not_a_crisis", "Pas une crise", {"style": "danger"}))
    ]  # fmt: skip
    return {
        "text": f"{subject} — {SUMMARY} — {link}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": subject, "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text":
                f"*{SUMMARY}*\n×26,4 le niveau habituel\n_{WHY}_"}},
            {"type": "section", "text": {"type": "mrkdwn", "text":
                "• Vol annulé, honteux <https://social.example/p/1|lien>"}},
            {"type": "actions", "elements": buttons},
        ],
    }  # fmt: skip


def events(http: LocalHttp) -> list[dict[str, Any]]:
    return [body(hit) for hit in http.hits(ENQUEUE)]


def opsgenie_calls(http: LocalHttp) -> list[tuple[str, dict[str, list[str]], dict[str, Any]]]:
    return [(hit.path, hit.query, body(hit)) for hit in http.requests
            if hit.path.startswith(ALERTS)]  # fmt: skip


def mail_text(smtp: SmtpServer) -> str:
    plain = smtp.mailbox.messages[0][1].get_body(("plain",))
    assert plain is not None
    text: str = plain.get_content()
    return text


def check_mail(smtp: SmtpServer, crisis: Incident, link: str) -> EmailMessage:
    [(envelope, message)] = smtp.mailbox.messages
    assert envelope.rcpt_tos == ["alice@agence-horizon.example"]
    assert smtp.mailbox.tls_at_auth == [True]  # STARTTLS before AUTH
    assert message["Subject"] == f"[MAJEUR] Crise — {BRAND} (agence-horizon)"
    assert message["References"] == f"<incident.{crisis.id}@agence.example>"
    assert message["Content-Language"] == "fr"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    assert f"Pourquoi vous : {WHY}" in plain.get_content() and link in plain.get_content()
    assert f'href="{link}"' in html.get_content()
    return message


def check_webhook(hit: Request, crisis: Incident, link: str) -> None:
    payload = Webhook(SECRET_A).verify(hit.body, hit.headers)
    assert payload["type"] == "incident.trigger" and payload["data"]["link"] == link
    assert payload["data"]["notification_id"] == hit.headers["webhook-id"]
    assert payload["data"]["incident"]["id"] == crisis.id


def test_a_crisis_reaches_every_provider_and_its_answers_follow(
    stack: EmbeddedStack, http: LocalHttp, smtp: SmtpServer, tmp_path: Path
) -> None:
    clock = FakeClock(SATURDAY_NIGHT)
    config = provider_config(stack, http, smtp)
    crisis = major_crisis()
    accept(http, crisis)
    with workers(config, "notify", builders=notifier(clock)) as running:
        publish(config, crisis)
        wait_until(lambda: events(http) and opsgenie_calls(http) and http.hits(SLACK_PATH)
                   and http.hits("/a") and smtp.mailbox.messages, timeout_s=60,
                   what="the page on all five channels")  # fmt: skip
        links = {
            "pd": events(http)[0]["links"][0]["href"],
            "og": opsgenie_calls(http)[0][2]["details"]["page"],
            "slack": body(http.hits(SLACK_PATH)[0])["blocks"][-1]["elements"][0]["url"],
            "hook_a": body(http.hits("/a")[0])["data"]["link"],
            "mail": re.findall(r"http://\S+/i/\S+", mail_text(smtp))[0],
        }
        signer = LinkSigner(LINK_SECRET, "http://x", timedelta(hours=1))
        for link in links.values():  # each message's own signed link, to this incident
            claims = signer.verify(link.rsplit("/", 1)[1], clock.now())  # the notifier's clock
            assert (claims.tenant, claims.incident_id) == ("agence-horizon", crisis.id)
        assert len(set(links.values())) == 5  # single use: one per message

        assert events(http) == [pagerduty_trigger(crisis, links["pd"])]
        [(path, query, created)] = opsgenie_calls(http)
        assert (path, query) == (ALERTS, {})
        assert created == opsgenie_create(crisis, links["og"])
        assert http.hits(ALERTS)[0].headers["Authorization"] == f"GenieKey {GENIE_KEY}"
        assert [body(hit) for hit in http.hits(SLACK_PATH)] == [
            slack_message(crisis, links["slack"])
        ]
        check_webhook(http.hits("/a")[0], crisis, links["hook_a"])
        check_mail(smtp, crisis, links["mail"])

        config_path = write_config(config, tmp_path / "veille.yaml")
        assert (
            cli(["--config", str(config_path), "incidents", "ack", crisis.id, "--by", "Alice"]) == 0
        )
        wait_until(lambda: len(events(http)) == 2 and len(opsgenie_calls(http)) == 2
                   and len(smtp.mailbox.messages) == 2, timeout_s=30,
                   what="the acknowledgement at PagerDuty, Opsgenie and by e-mail")  # fmt: skip
        clock.advance(minutes=20)  # level 2 (Bob) was due after 15 minutes
        publish(config, crisis.model_copy(update={"status": "resolved"}), event="resolved")
        wait_until(lambda: len(events(http)) == 3 and len(opsgenie_calls(http)) == 3
                   and len(smtp.mailbox.messages) == 3, timeout_s=30,
                   what="the resolution at PagerDuty, Opsgenie and by e-mail")  # fmt: skip
        stage = running.workers["notify"].stage
        wait_until(lambda: all(t.status == "resolved" for t in stage.threads()),
                   what="the thread resolved")  # fmt: skip

    key = {"routing_key": ROUTING_KEY, "dedup_key": crisis.id}
    assert events(http)[1:] == [key | {"event_action": "acknowledge"},
                                key | {"event_action": "resolve"}]  # fmt: skip
    alias = {"identifierType": ["alias"]}
    assert opsgenie_calls(http)[1:] == [
        (f"{ALERTS}/{crisis.id}/acknowledge", alias,
         {"source": "veille", "user": "veille", "note": "acquittée par Alice"}),
        (f"{ALERTS}/{crisis.id}/close", alias,
         {"source": "veille", "user": "veille", "note": "résolue par auto"}),
    ]  # fmt: skip
    hooks = [body(hit)["type"] for hit in http.hits("/a")]
    assert hooks == ["incident.trigger", "incident.acknowledge", "incident.resolve"]  # no Bob
    assert http.hits("/b") == []  # tenant B's channel is never used for tenant A
    mails = [(envelope.rcpt_tos, message["Subject"], message["References"])
             for envelope, message in smtp.mailbox.messages]  # fmt: skip
    thread = f"<incident.{crisis.id}@agence.example>"  # one e-mail thread, to the one paged
    assert mails == [
        (["alice@agence-horizon.example"], f"[{tag}] Crise — {BRAND} (agence-horizon)", thread)
        for tag in ("MAJEUR", "PRIS EN CHARGE", "RÉSOLU")
    ]


def test_warning_major_critical_is_one_page_thread_on_every_provider(
    stack: EmbeddedStack, http: LocalHttp, smtp: SmtpServer
) -> None:
    """An open incident that grows worse stays one alert: PagerDuty's dedup_key and
    Opsgenie's alias stay the incident id, the severity follows, and the person paged by
    e-mail is told in the same e-mail thread."""
    clock = FakeClock(SATURDAY_NIGHT)
    config = provider_config(stack, http, smtp)
    crisis = major_crisis().model_copy(update={"severity": "warning"})
    accept(http, crisis)
    with workers(config, "notify", builders=notifier(clock)) as running:
        for n, severity in enumerate(("warning", "major", "critical"), start=1):
            worse = crisis.model_copy(update={"severity": severity})
            publish(config, worse, event="opened" if n == 1 else "escalated")
            wait_until(lambda n=n: len(events(http)) == n and len(smtp.mailbox.messages) == n
                       and len(opsgenie_calls(http)) == n, timeout_s=60,
                       what=f"the {severity} page")  # fmt: skip
        stage = running.workers["notify"].stage
        assert [t.incident_id for t in stage.threads()] == [crisis.id]  # one thread
    told = [(e["event_action"], e["dedup_key"], e["payload"]["severity"]) for e in events(http)]
    assert told == [("trigger", crisis.id, "warning"), ("trigger", crisis.id, "error"),
                    ("trigger", crisis.id, "critical")]  # fmt: skip
    assert [(c[2]["alias"], c[2]["priority"]) for c in opsgenie_calls(http)] == [
        (crisis.id, "P3"), (crisis.id, "P2"), (crisis.id, "P1")
    ]  # fmt: skip
    mails = [(envelope.rcpt_tos, message["Subject"].split("]")[0], message["References"])
             for envelope, message in smtp.mailbox.messages]  # fmt: skip
    assert mails == [(["alice@agence-horizon.example"], f"[{tag}",
                      f"<incident.{crisis.id}@agence.example>")
                     for tag in ("VIGILANCE", "MAJEUR", "CRITIQUE")]  # fmt: skip
