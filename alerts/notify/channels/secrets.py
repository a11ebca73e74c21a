"""Keeping a channel's secrets (tokens, webhook URLs, passwords) out of what it says.

`redact` replaces every form of a secret a message can carry: the value, each of its words
("Bearer <token>"), their percent- and JSON-escaped forms and, for a URL, each of its parts
of 6 characters or more (a webhook's path token, a Telegram bot token in the host position,
a password in the userinfo). `redacting` does the same to the log records that the libraries
a channel calls (httpx, httpcore, apprise and its urllib3) write while it sends: httpx logs
each request's full URL at INFO. `missing_secret` is the error a channel raises when its
secret is not set.
"""

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import quote, unquote, urlsplit

from alerts.notify.contract import ChannelError

MASK = "***"
_MIN_PART = 6
_LIBRARY_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "apprise",
    "urllib3.connectionpool",  # apprise sends through requests
)
_ACTIVE: ContextVar[tuple[str, ...]] = ContextVar("channel_secrets", default=())


def secret_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Every string to mask for these secrets, longest first (so a part never hides the
    longer form it belongs to)."""
    forms: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        forms.update(_escaped(secret))
        # "Bearer <token>": the token alone too.
        forms.update(
            form for word in secret.split() if len(word) >= _MIN_PART for form in _escaped(word)
        )
        if "://" in secret:
            forms.update(form for part in _url_parts(secret) for form in _escaped(part))
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


def redact(text: str, forms: Iterable[str]) -> str:
    for form in forms:
        text = text.replace(form, MASK)
    return text


@contextmanager
def redacting(forms: tuple[str, ...]) -> Iterator[None]:
    """Within the block, records of the library loggers are rendered and redacted."""
    token = _ACTIVE.set(forms)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def missing_secret(channel: str, field: str) -> ChannelError:
    variable = f"VEILLE__ALERTS__CHANNELS__{channel.upper()}__{field.upper()}"
    return ChannelError(f"{channel}: {field} is not set (set {variable})", recoverable=False)


def _escaped(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote(value), unquote(value), json.dumps(value)[1:-1]}


def _url_parts(url: str) -> set[str]:
    parts = urlsplit(url)
    pieces = {parts.netloc, parts.username or "", parts.password or "", parts.hostname or ""}
    pieces.update(parts.path.split("/"))
    for pair in (parts.query + "&" + parts.fragment).split("&"):
        pieces.update(pair.split("="))
    return {piece for piece in pieces if len(piece) >= _MIN_PART}


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        forms = _ACTIVE.get()
        if forms:
            record.msg = redact(record.getMessage(), forms)
            record.args = None
            if record.exc_info:
                record.exc_text = redact(
                    logging.Formatter().formatException(record.exc_info), forms
                )
                record.exc_info = None
        return True


_FILTER = _RedactingFilter()
for _name in _LIBRARY_LOGGERS:
    logging.getLogger(_name).addFilter(_FILTER)
