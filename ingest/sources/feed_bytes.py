"""A feed's bytes made safe and decodable before feedparser reads them.

Refused (SourceError): a document declaring XML entities (entity-expansion bombs; expat's
amplification limit is a second guard). Encoding, in this order, as feedparser does: the
HTTP `Content-Type` charset, then the document's own declaration (BOM, `<?xml encoding=`),
then — for a document that declares UTF-8 or nothing and is not valid UTF-8 — a fallback
chosen here: declared UTF-8, or mostly-UTF-8 with a few bad bytes (valid multi-byte
sequences present), stays UTF-8 with the bad bytes replaced and their position logged; no
valid multi-byte sequence at all means a single-byte legacy encoding, read as windows-1252
(a superset of ISO-8859-1's printable range), so `é` stays `é` instead of U+FFFD.
"""

import logging
import re
from email.message import Message

from ingest.sources.base import SourceError

log = logging.getLogger(__name__)

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([\w.-]+)", re.IGNORECASE)
_MULTIBYTE_UTF8 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


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
        if declared or _MULTIBYTE_UTF8.search(body):
            log.warning(
                "%s: invalid UTF-8 at byte %d (%s): bytes replaced",
                source_id,
                exc.start,
                exc.reason,
            )
            return body.decode("utf-8", "replace").encode("utf-8")
        log.info("%s: no encoding declared and not UTF-8: read as windows-1252", source_id)
        return body.decode("windows-1252", "replace").encode("utf-8")
