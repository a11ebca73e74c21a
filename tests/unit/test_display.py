"""Display-safe text (runtime/display.py): a post cannot drive the terminal, reorder a line or
break an HTML page; and the console channel, run as a process, prints safe bytes."""

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.notify.contract import Notification
from alerts.notify.text import page_text
from runtime.display import SafeLogFormatter, safe_block, safe_html, safe_json, safe_line
from schemas.incident import Incident, IncidentEvent, MentionRef

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = (
    "\x1b[31mROUGE\x1b[0m vol annulé\x00\x07 \u202eesrever\u202c fin"
    "\x1b]0;pwned title\x07 \x1bP+q\x1b\\ \x9b2J \ud800 ok\u2028deux"
)


def _no_display_controls(text: str) -> None:
    assert not [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert not set(text) & set(
        "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    )
    text.encode("utf-8")  # no lone surrogate: printable on any UTF-8 terminal


def test_an_ansi_escape_does_not_recolour_the_console() -> None:
    assert safe_line("\x1b[31;1mALERTE\x1b[0m prix") == "ALERTE prix"
    assert safe_line("a\x1b[2J\x1b[Hb") == "ab"  # clear screen, cursor home
    assert safe_line("a\x9b31mb") == "ab"  # 8-bit CSI with its parameters
    assert safe_line("t\x1b]0;pwned\x07u \x1b]8;;http://evil\x1b\\lien\x1b]8;;\x1b\\") == "tu lien"
    assert safe_line("x\x1bPpayload\x1b\\y") == "xy"  # DCS with its payload


def test_a_bidi_override_does_not_reorder_a_line() -> None:
    assert safe_line("facture \u202egnp.exe\u202c ok") == "facture gnp.exe ok"
    assert safe_line("\u2066a\u2067b\u2068c\u2069\u200e\u200f\u061c\u206a") == "abc"


def test_nul_bel_and_other_controls_are_removed() -> None:
    assert safe_block("a\x00b\x07c\x08d\x7fe\x85f\rg") == "abcde\nfg"
    assert safe_block("l1\r\nl2\tt\u2028l3\u2029l4") == "l1\nl2\tt\nl3\nl4"
    assert safe_line("l1\nl2\u2028l3") == "l1 l2 l3"


def test_a_lone_surrogate_cannot_crash_a_print() -> None:
    assert safe_line("a\ud800b\udfffc") == "abc"


def test_a_line_is_cut_to_max_chars_with_an_ellipsis() -> None:
    assert safe_line("abcdef", 4) == "abc…" and len(safe_line("x" * 500, 120)) == 120
    assert safe_line("abc", 0) == "" and safe_line("abc", 3) == "abc"


def test_html_is_escaped_after_controls_are_removed() -> None:
    assert safe_html("<script>alert(\"x\")</script> & 'q'\x1b[31m") == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;"
    )
    assert safe_html("<b\x00>") == "&lt;b&gt;"


def test_safe_json_keeps_the_data_and_escapes_what_a_terminal_would_obey() -> None:
    value = {"text": HOSTILE, "n": 1}
    line = safe_json(value)
    assert json.loads(line) == value  # the data is untouched
    _no_display_controls(line)
    assert "\n" not in line and "é" in line  # one line, readable accents


def test_the_log_formatter_neutralises_post_text_in_messages() -> None:
    record = logging.LogRecord("t", logging.WARNING, "f", 1, "dead-lettered: %s", (HOSTILE,), None)
    formatted = SafeLogFormatter("%(message)s").format(record)
    _no_display_controls(formatted)
    assert formatted.startswith("dead-lettered: ROUGE vol annulé")


def hostile_event() -> IncidentEvent:
    """An incident quoting HOSTILE (less its lone surrogate, which no JSON on the wire holds)."""
    at = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)
    text = HOSTILE.replace("\ud800", "")
    ref = MentionRef(id="m1", url="https://x.example/\x1b[5mp\u202e", text=text, published_at=at)
    incident = Incident(
        id="inc-1", tenant="t", brand="b", kind="crisis", status="open", severity="warning",
        trigger="negative_acceleration", opened_at=at, updated_at=at, window_minutes=10,
        count=12, stories=11, signal=13.2, baseline=0.5, peak_signal=13.2, negative_share=0.9,
        summary="12 negative mentions\x1b[8m hidden", top_mentions=[ref],
    )  # fmt: skip
    return IncidentEvent(event="opened", at=at, incident=incident, emitted_at=at)


def hostile_page() -> Notification:
    return Notification("n1", "trigger", "t", None, incident=hostile_event().incident)


def test_the_page_text_is_display_safe_and_one_line_per_mention() -> None:
    text = page_text(hostile_page())
    _no_display_controls(text)
    lines = text.splitlines()
    assert len(lines) == 4 and lines[1] == "  12 negative mentions hidden"
    assert (
        lines[3].startswith("  · ROUGE vol annulé esrever fin")
        and "<https://x.example/p>" in lines[3]
    )


def test_the_console_channel_prints_safe_bytes_for_a_hostile_post(tmp_path: Path) -> None:
    program = (
        "import sys; from alerts.notify.channels import ConsoleChannel; "
        "from alerts.notify.contract import Notification; "
        "from schemas.incident import IncidentEvent; "
        "event = IncidentEvent.model_validate_json(sys.stdin.buffer.read()); "
        "ConsoleChannel('console').send(Notification('n1', 'trigger', 't', None, "
        "incident=event.incident))"
    )
    event = hostile_event().model_dump_json()
    done = subprocess.run(
        [sys.executable, "-c", program], input=event.encode(), capture_output=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    out = done.stdout
    assert b"\x1b" not in out and b"\x07" not in out and b"\x00" not in out
    assert "\u202e".encode() not in out and "\u202c".encode() not in out
    assert "\x9b".encode() not in out
    assert "🚨 PAGE [WARNING] crise t/b".encode() in out
    assert "· ROUGE vol annulé esrever fin".encode() in out


@pytest.mark.parametrize("text", ["", "plain text, accents éàç, emoji 👍🏽, 日本語"])
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert safe_block(text) == text and safe_line(text) == text
