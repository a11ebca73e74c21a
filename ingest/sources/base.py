"""What every source yields and raises."""

from dataclasses import dataclass
from datetime import datetime


class SourceError(Exception):
    """A poll failed; the message says why. Other sources are not affected."""


@dataclass(frozen=True)
class FeedItem:
    native_id: str
    url: str | None
    title: str | None
    text: str
    author_name: str | None
    author_handle: str | None
    published_at: datetime
    lang: str | None
