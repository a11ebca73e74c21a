"""Text from posts made safe to show a person: console, e-mail, chat, SMS, the incident page.

Any poster controls the text veille displays. Contract: C0 and C1 control characters (NUL,
BEL, ESC and so ANSI colour sequences, DEL, …) and Unicode bidi controls (U+202A–U+202E,
U+2066–U+2069, U+200E, U+200F, U+061C) never reach a display: a terminal cannot be
recoloured, a line cannot be reordered. The indexed text keeps what a search needs; only
display forms go through here.
"""

import html
import re

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# ANSI/VT escape sequences first (so their parameters go too), then every lone control.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?")
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_SPACES = re.compile(r"\s+")


def safe_block(text: str) -> str:
    """The text with escape sequences, controls and bidi controls removed; newlines and tabs
    kept (for an e-mail body or a page paragraph)."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text.replace("\r\n", "\n")))


def safe_line(text: str, max_chars: int | None = None) -> str:
    """One display line: `safe_block`, whitespace runs collapsed to one space, and cut to
    `max_chars` with an ellipsis (the result is at most `max_chars` long)."""
    line = _SPACES.sub(" ", safe_block(text)).strip()
    if max_chars is not None and len(line) > max_chars:
        return line[: max(max_chars - 1, 0)].rstrip() + "…"
    return line


def safe_html(text: str) -> str:
    """`safe_block`, HTML-escaped (quotes too), for an element's text or an attribute."""
    return html.escape(safe_block(text), quote=True)
