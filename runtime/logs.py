"""Log formats: the default text line, or one JSON object per line (`--log-format json`).

Contract: a JSON line has `ts` (ISO 8601, UTC), `level`, `logger` (the module's
`logging.getLogger(__name__)`: its first part names the stage — ingest, enrich, alerts,
runtime, veille), `message` (display-safe, as the text format), and where the call knows
them `tenant`, `brand`, `mention_id`, `incident_id` (passed as `extra=log_context(...)`),
plus `error` with the traceback when one is logged. Nothing else of the record is written,
so a field an exception carries never leaks into a line by accident.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from runtime.display import SafeLogFormatter, safe_block

LogFormat = Literal["text", "json"]
CONTEXT_FIELDS = ("tenant", "brand", "mention_id", "incident_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_context(
    tenant: str | None = None,
    brand: str | None = None,
    mention_id: str | None = None,
    incident_id: str | None = None,
) -> dict[str, str]:
    """The `extra=` of a log call: the identifiers it knows, for the JSON format."""
    given = {"tenant": tenant, "brand": brand, "mention_id": mention_id, "incident_id": incident_id}
    return {key: value for key, value in given.items() if value is not None}


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record (see the module's contract)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": safe_block(record.getMessage()),
        }
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = str(value)
        if record.exc_info:
            line["error"] = safe_block(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def log_handler(log_format: LogFormat) -> logging.Handler:
    """A stderr handler with the chosen format; both are display-safe."""
    handler = logging.StreamHandler()
    formatter = JsonLogFormatter() if log_format == "json" else SafeLogFormatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    return handler
