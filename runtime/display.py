"""Text from posts made safe to show a person: console, e-mail, chat, SMS, the incident page,
the log.

Any poster controls the text veille displays. Contract: C0 and C1 control characters (NUL,
BEL, ESC and so ANSI colour sequences, DEL, …), whole escape sequences (CSI, OSC and the
other string sequences, 7-bit and 8-bit, with their parameters), Unicode bidi controls
(U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), the deprecated format controls
(U+206A–U+206F) and lone surrogates (which cannot even be encoded to a terminal) never reach
a display: a terminal cannot be recoloured or retitled, a line cannot be reordered, a print
cannot crash. Line and paragraph separators (U+2028, U+2029, NEL) become newlines, so a block
keeps its lines and a line collapses them. The indexed text keeps what a search needs; only
display forms go through here.
"""

import html
import json
import logging
import re
from typing import Any

_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u206a-\u206f"
# Escape sequences first (so their parameters and payloads go too): CSI (ESC [ or 0x9B);
# OSC, DCS, SOS, PM, APC (ESC ] P X ^ _ or 0x9D 0x90 0x98 0x9E 0x9F) up to BEL or ST;
# any other ESC and the character after it. Then every lone control left.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[^\n]?"
)
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n|[\u2028\u2029\x85]")
_SPACES = re.compile(r"\s+")
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")


def safe_block(text: str) -> str:
    """The text with escape sequences, controls and bidi controls removed; newlines and tabs
    kept (for an e-mail body or a page paragraph)."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", _LINE_BREAK.sub("\n", text)))


def safe_line(text: str, max_chars: int | None = None) -> str:
    """One display line: `safe_block`, whitespace runs collapsed to one space, and cut to
    `max_chars` with an ellipsis (the result is at most `max_chars` long)."""
    line = _SPACES.sub(" ", safe_block(text)).strip()
    if max_chars is not None and len(line) > max_chars:
        return line[: max_chars - 1].rstrip() + "…" if max_chars > 0 else ""
    return line


def safe_html(text: str) -> str:
    """`safe_block`, HTML-escaped (quotes too), for an element's text or an attribute."""
    return html.escape(safe_block(text), quote=True)


def safe_json(value: Any) -> str:
    """`value` as one line of JSON whose bytes are safe on a terminal and whose data is
    untouched: the characters `safe_block` removes are written as `\\uXXXX` escapes (json
    already escapes C0 controls), so `json.loads` gives back exactly `value`."""
    dumped = json.dumps(value, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda char: f"\\u{ord(char[0]):04x}", dumped)


class SafeLogFormatter(logging.Formatter):
    """A log formatter whose lines are `safe_block`: a post's text, a dead letter's reason or
    a feed's error quoted in a message cannot drive the terminal that shows the log."""

    def format(self, record: logging.LogRecord) -> str:
        return safe_block(super().format(record))
