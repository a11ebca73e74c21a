"""Notifications for the channel tests: an incident whose posts carry hostile text (ANSI
colour sequences, a bidi override, a Slack mention, HTML), and the checks that none of it
reaches a channel's output."""

from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.notify.contract import Notification, Recipient
from schemas.health import SourceHealthEvent, health_event_id
from schemas.incident import Incident, MentionRef, Severity

OPENED = datetime(2026, 3, 14, 22, 5, tzinfo=UTC)
HOSTILE = "\x1b[31mROUGE\x1b[0m boycott \u202eedoc <!channel> <b>gras</b> & ê ç œ 😡"
CONTROLS = ("\x1b", "[31m", "\u202e")
MARKUP = ("<!channel>", "<b>")
LINK = "https://veille.example/i/abc123?sig=deadbeef"
ALICE = Recipient("alice", "Alice Martin", email="alice@agence.example", phone="+33 6 12 34 56 78")


def incident(
    severity: Severity = "critical",
    summary: str = "48 mentions négatives en 10 min, ×6 l'habituel",
    posts: int = 3,
    post_text: str = HOSTILE,
) -> Incident:
    return Incident(
        id="inc0123456789abcdef0123",
        tenant="agence-a",
        brand="acme",
        kind="crisis",
        status="open",
        severity=severity,
        trigger="negative_acceleration",
        opened_at=OPENED,
        updated_at=OPENED,
        window_minutes=10,
        count=48,
        stories=12,
        signal=31.0,
        baseline=5.0,
        peak_signal=31.0,
        negative_share=0.82,
        summary=summary,
        top_mentions=[
            MentionRef(
                id=f"m{i}",
                url=f"https://masto.example/@julie/{i}" if i else "javascript:alert(1)",
                text=f"{post_text} #{i}",
                published_at=OPENED - timedelta(minutes=i),
                virality=90.0 - i,
            )
            for i in range(posts)
        ],
        top_terms=["boycott"],
    )


def notification(**changes: Any) -> Notification:
    fields: dict[str, Any] = {
        "id": "inc0123456789abcdef0123:trigger:0:alice:chan",
        "action": "trigger",
        "tenant": "agence-a",
        "recipient": ALICE,
        "incident": incident(),
        "link": LINK,
        "reason": "niveau 1 de l'astreinte week-end",
        "also_notified": ("Bruno \u202eDurand",),
    }
    return Notification(**(fields | changes))


def health(event: str = "source_silent") -> SourceHealthEvent:
    since = OPENED - timedelta(hours=2)
    return SourceHealthEvent(
        id=health_event_id("rss-presse", event, since),
        event=event,  # type: ignore[arg-type]
        reason="failing" if event == "source_silent" else "recovered",
        source="rss-presse",
        source_kind="rss",
        since=since,
        at=OPENED,
        message="rss-presse ne répond plus depuis 2 h (HTTP 503)",
    )


def assert_neutralised(output: str, markup: bool = False) -> None:
    """No control or bidi character (and, for a marked-up output, no live markup) of the
    hostile post reached `output`; its words did."""
    for forbidden in CONTROLS + (MARKUP if markup else ()):
        assert forbidden not in output, f"{forbidden!r} reached the output"
    assert "ROUGE" in output
