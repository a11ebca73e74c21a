"""Dates as sources write them, including localised day and month names.

`parse_date`: an RFC 822 / ISO 8601 / localised date string (`Seg, 24 Set 2018 10:00:00
-0300`, `lun., 24 sept. 2018`) as an aware UTC datetime, through `dateparser`; None when it
cannot be read. A date without a zone is taken as UTC (feeds that omit it are rare and
mostly UTC). None is the caller's cue to mark the item's date unknown, never to use "now".
"""

from datetime import UTC, datetime
from typing import Any

import dateparser

_SETTINGS: dict[str, Any] = {
    "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "PREFER_DATES_FROM": "past",
}


def parse_date(raw: str | None) -> datetime | None:
    if not raw or not raw.strip():
        return None
    parsed: datetime | None = dateparser.parse(raw.strip()[:200], settings=_SETTINGS)
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
