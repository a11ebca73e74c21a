"""A feed's bytes made safe and decodable before feedparser reads them.

Refused (SourceError): a document declaring XML entities (entity-expansion bombs; expat's
amplification limit is a second guard). Encoding, in this order, as feedparser does: the
HTTP `Content-Type` charset, then the document's own declaration (BOM, `<?xml encoding=`),
then — for a document that declares UTF-8 or nothing and is not valid UTF-8 — a fallback
chosen here: declared UTF-8, or mostly UTF-8 with a few bad bytes (at least twice as many
valid non-ASCII characters as bad bytes), stays UTF-8 with the bad bytes replaced and their
position logged. Anything else is a legacy encoding, detected by charset-normalizer (as
feedparser uses chardet when it is installed): windows-1252 (a superset of ISO-8859-1's
printable range, so `é` stays `é`) when it reads the bytes as cleanly as the best guess —
Latin code pages cannot be told apart on a short French text — else the guess (KOI8-R,
Shift_JIS, EUC-KR, GB2312, Big5, TIS-620, windows-1255… as feedparser's recorded feeds
without a declaration show), else windows-1252.
"""

import logging
import re
from email.message import Message

import charset_normalizer

from ingest.sources.base import SourceError

log = logging.getLogger(__name__)

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([\w.-]+)", re.IGNORECASE)


def http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset.strip().lower() if isinstance(charset, str) and charset.strip() else None


def checked_feed_bytes(source_id: str, body: bytes, content_type: str | None = None) -> bytes:
    """The body as feedparser should get it (hand it the response headers too)."""
    probe = body
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        probe = body.decode("utf-16", "replace").encode("utf-8")
    if _ENTITY_DECLARATION.search(probe):
        raise SourceError("document declares XML entities: refused (entity-expansion bomb?)")
    if probe is not body or body[:3] == b"\xef\xbb\xbf":
        return body
    xml_declared = _DECLARED_ENCODING.match(body[:200])
    declared = http_charset(content_type) or (
        xml_declared.group(1).decode().lower() if xml_declared else None
    )
    if declared not in (None, "utf-8", "utf8"):
        return body  # feedparser decodes it (and says so if it had to override)
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError as exc:
        decoded = body.decode("utf-8", "replace")
        bad = decoded.count("\ufffd")
        if declared or sum(1 for c in decoded if ord(c) > 127) - bad >= 2 * bad:
            log.warning(
                "%s: invalid UTF-8 at byte %d (%s): bytes replaced",
                source_id,
                exc.start,
                exc.reason,
            )
            return decoded.encode("utf-8")
        encoding = legacy_encoding(body)
        log.info("%s: no encoding declared and not UTF-8: read as %s", source_id, encoding)
        return body.decode(encoding, "replace").encode("utf-8")


def legacy_encoding(body: bytes) -> str:
    """The legacy encoding of bytes that are not UTF-8 and declare none."""
    matches = list(charset_normalizer.from_bytes(body))
    if not matches:
        return "windows-1252"
    best = min(match.percent_chaos for match in matches)
    if any(m.encoding == "cp1252" and m.percent_chaos <= best for m in matches):
        return "windows-1252"
    return str(matches[0].encoding)
