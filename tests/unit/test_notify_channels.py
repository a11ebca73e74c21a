"""The provider channels' formatting, pure: limits, mappings, display safety, GSM-7."""

import json
from email import message_from_bytes
from email.message import Message
from email.policy import default

import pytest

from alerts.notify.channels import pagerduty, sms, text
from alerts.notify.channels.apprise import body as apprise_body
from alerts.notify.channels.email import email_message
from alerts.notify.channels.opsgenie import alert_body
from alerts.notify.channels.slack import parse_slack_action, slack_message
from tests.notifications import HOSTILE, LINK, assert_neutralised, health, incident, notification
from tests.unit.test_notify_callbacks import slack_body


def pd_event(**changes: object) -> dict[str, object]:
    return pagerduty.pagerduty_event(notification(**changes), "R0UTING", "veille")


def test_pagerduty_trigger_carries_the_incident() -> None:
    event = pd_event()
    payload = event["payload"]
    assert isinstance(payload, dict)
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "inc0123456789abcdef0123"
    assert payload["severity"] == "critical"
    assert payload["source"] == "veille"
    assert payload["component"] == "acme" and payload["group"] == "agence-a"
    assert payload["timestamp"] == "2026-03-14T22:05:00+00:00"
    details = payload["custom_details"]
    assert details["par rapport à l'habituel"] == "×6,2 le niveau habituel"
    assert len(details["publications"]) == 3
    assert details["publications"][0]["lien"] is None  # javascript: dropped
    assert event["links"] == [{"href": LINK, "text": "Page de l'incident (veille)"}]


@pytest.mark.parametrize(
    ("severity", "expected"), [("warning", "warning"), ("major", "error"), ("critical", "critical")]
)
def test_pagerduty_severity_mapping(severity: str, expected: str) -> None:
    payload = pd_event(incident=incident(severity))["payload"]  # type: ignore[arg-type]
    assert payload["severity"] == expected  # type: ignore[index]


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_pagerduty_acknowledge_and_resolve_carry_only_the_key(action: str) -> None:
    assert pd_event(action=action) == {
        "routing_key": "R0UTING",
        "event_action": action,
        "dedup_key": "inc0123456789abcdef0123",
    }


def test_pagerduty_source_health_is_one_alert_per_source() -> None:
    silent = pd_event(incident=None, health=health("source_silent"), action="info")
    recovered = pd_event(incident=None, health=health("source_recovered"), action="info")
    assert silent["event_action"] == "trigger"
    assert silent["payload"]["severity"] == "info"  # type: ignore[index]
    assert recovered["event_action"] == "resolve"
    assert silent["dedup_key"] == recovered["dedup_key"] == "veille-source-rss-presse"


def test_pagerduty_summary_is_cut_to_1024_characters() -> None:
    event = pd_event(incident=incident(summary="é" * 5000))
    summary = event["payload"]["summary"]  # type: ignore[index]
    assert len(summary) == 1024 and summary.endswith("…")


def test_pagerduty_event_is_trimmed_under_512_kb_never_refused() -> None:
    event = pd_event(incident=incident(posts=200, post_text="x" * 9000))
    size = len(pagerduty.encode(event))
    assert 500 * 1024 < size <= 512 * 1024
    kept = event["payload"]["custom_details"]["publications"]  # type: ignore[index]
    assert 0 < len(kept) < 200
    assert [p["texte"][-3:] for p in kept] == [f"x #{i}"[-3:] for i in range(len(kept))]


def test_pagerduty_event_with_a_huge_summary_keeps_only_a_cut_summary() -> None:
    event = pd_event(incident=incident(summary="y" * 600_000))
    assert len(pagerduty.encode(event)) <= 512 * 1024
    details = event["payload"]["custom_details"]  # type: ignore[index]
    assert list(details) == ["résumé"] and len(details["résumé"]) == 1024


def test_opsgenie_alert_body() -> None:
    body = alert_body(notification(incident=incident("major", summary="z" * 500)))
    assert body["alias"] == "inc0123456789abcdef0123"
    assert body["priority"] == "P2"
    assert len(body["message"]) <= 130
    assert body["message"] == "[MAJEUR] Crise — acme (agence-a)"
    assert LINK in body["description"]
    assert body["details"]["page"] == LINK and body["details"]["brand"] == "acme"
    assert set(body["tags"]) >= {"veille", "agence-a", "acme", "major"}


def test_opsgenie_message_is_cut_to_130_characters() -> None:
    long_brand = incident().model_copy(update={"brand": "b" * 300})
    message = alert_body(notification(incident=long_brand))["message"]
    assert len(message) == 130 and message.endswith("…")


@pytest.mark.parametrize(
    ("severity", "priority"), [("critical", "P1"), ("major", "P2"), ("warning", "P3")]
)
def test_opsgenie_priority_mapping(severity: str, priority: str) -> None:
    assert alert_body(notification(incident=incident(severity)))["priority"] == priority  # type: ignore[arg-type]


def test_slack_blocks_and_fallback() -> None:
    message = slack_message(notification())
    kinds = [block["type"] for block in message["blocks"]]
    assert kinds == ["header", "section", "section", "context", "actions"]
    buttons = message["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == [
        "veille_acknowledge",
        "veille_resolve",
        "veille_not_a_crisis",
    ]
    assert {b["url"] for b in buttons} == {LINK}
    assert {b["value"] for b in buttons} == {"inc0123456789abcdef0123"}
    assert message["text"].startswith("[CRITIQUE] Crise — acme (agence-a)")
    assert LINK in message["text"]
    posts = message["blocks"][2]["text"]["text"]
    assert "&lt;!channel&gt;" in posts and "<https://masto.example/@julie/1|lien>" in posts
    assert "javascript:" not in posts


def test_slack_resolve_has_no_buttons() -> None:
    message = slack_message(notification(action="resolve"))
    assert "actions" not in [block["type"] for block in message["blocks"]]
    assert message["blocks"][0]["text"]["text"].startswith("[RÉSOLU]")


def test_sms_text_fits_one_gsm7_segment_with_the_link() -> None:
    message = sms.sms_text(notification(incident=incident(summary="é" * 400)))
    assert sms.septets(message) <= 160
    assert message.endswith(" " + LINK)
    assert "..." in message
    assert all(c in sms.GSM7_BASIC or c in sms.GSM7_EXTENSION for c in message)


def test_sms_drops_a_link_that_leaves_too_little_text() -> None:
    long_link = "https://veille.example/i/" + "a" * 120
    message = sms.sms_text(notification(link=long_link))
    assert long_link not in message and sms.septets(message) <= 160


def test_gsm7_keeps_what_it_has_and_transliterates_the_rest() -> None:
    assert sms.to_gsm7("élève à Noël ê ç â œ « x » ’ 😡 €") == 'élève à Noel e c a oe " x " \' €'
    assert sms.septets("€[a]") == 7
    cut = sms.cut("€" * 100, 160)
    assert sms.septets(cut) <= 160 and cut.endswith("...")


def test_email_is_french_multipart_alternative() -> None:
    raw = email_message(notification(), "veille@agence.example", "alice@agence.example")
    parsed: Message = message_from_bytes(raw.as_bytes(), policy=default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Subject"] == "[CRITIQUE] Crise — acme (agence-a)"
    assert parsed["Message-ID"] == "<inc0123456789abcdef0123_trigger_0_alice_chan@agence.example>"
    assert parsed["References"] == "<incident.inc0123456789abcdef0123@agence.example>"
    assert parsed["Content-Language"] == "fr"
    plain, html = (part.get_content() for part in parsed.iter_parts())  # type: ignore[attr-defined]
    assert "Pourquoi vous : niveau 1 de l'astreinte week-end" in plain
    assert "×6,2 le niveau habituel" in plain and LINK in plain
    assert '<html lang="fr">' in html and "Ouvrir la page de l'incident</a>" in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html and 'href="javascript:' not in html
    assert_neutralised(plain)
    assert_neutralised(html, markup=True)


def test_hostile_post_text_is_neutralised_in_every_channel() -> None:
    note = notification(incident=incident(summary=HOSTILE))
    assert_neutralised(json.dumps(pd_event(incident=incident(summary=HOSTILE)), ensure_ascii=False))
    assert_neutralised(json.dumps(alert_body(note), ensure_ascii=False))
    slack = slack_message(note)
    assert_neutralised(json.dumps(slack, ensure_ascii=False), markup=True)
    assert_neutralised(apprise_body(note))
    assert_neutralised(sms.sms_text(note))
    assert_neutralised(text.subject(note) + "\n".join(text.lines(note)))


def test_a_grouped_message_tells_every_incident_and_opens_their_page() -> None:
    """Slack: the other incidents in a section of their own, and one button opening the
    page of them all (it answers nothing: pressing it is no acknowledgement of the first);
    PagerDuty: the others in custom_details."""
    others = tuple(
        incident().model_copy(update={"id": f"inc-other-{n}", "brand": f"marque-{n}"})
        for n in (1, 2)
    )
    message = slack_message(notification(grouped=others))
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert sections[-1].startswith("*Aussi :*\n• [CRITICAL] crise agence-a/marque-1 : ")
    assert "(incident inc-other-2)" in sections[-1]
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e["url"], e["text"]["text"]) for e in actions["elements"]] == [
        ("veille_open", LINK, "Voir les 3 incidents (acquitter, résoudre)")
    ]
    assert parse_slack_action(slack_body("veille_open")) is None
    details = pd_event(grouped=others)["payload"]["custom_details"]  # type: ignore[index]
    assert [line.split(" : ")[0] for line in details["aussi"]] == [
        "[CRITICAL] crise agence-a/marque-1", "[CRITICAL] crise agence-a/marque-2"
    ]  # fmt: skip
