"""File replay: a JSONL file of posts (schemas.mention.IncomingPost, one per line).

Cursor {"offset", "inode"}: the byte offset after the last complete line emitted, so a
restart resumes where the last durable batch ended and lines appended later are read at the
next poll; a replaced file (other inode, or shorter than the offset) is read from the start.
A line that is not a valid IncomingPost goes to the dead-letter topic with its offset and
the reason; a partial last line (still being written) waits for its newline.
"""

import os

from pydantic import ValidationError

from ingest.http import SafeClient
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched, SourceError
from ingest.text import clean_text
from schemas.config import ReplaySourceSettings
from schemas.mention import IncomingPost


def post_item(post: IncomingPost, default_lang: str | None) -> FeedItem:
    """A pushed or replayed post as a FeedItem."""
    counts = post.engagement
    return FeedItem(
        native_id=post.id,
        url=post.url,
        title=clean_text(post.title or "") or None,
        text=clean_text(post.text) or post.text,
        author_name=post.author.name,
        author_handle=post.author.handle,
        published_at=post.published_at,
        lang=post.lang or default_lang,
        author_followers=post.author.followers,
        engagement=Counts(counts.likes, counts.reposts, counts.replies) if counts else None,
    )


class JsonlReplay(ConfiguredSource[ReplaySourceSettings]):
    kind = "replay"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        path = self.settings.path
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror}") from None
        offset = int(cursor.get("offset", 0))
        if cursor.get("inode") != stat.st_ino or stat.st_size < offset:
            offset = 0
        items: list[FeedItem] = []
        rejected: list[tuple[str, bytes]] = []
        with open(path, "rb") as file:
            file.seek(offset)
            for _ in range(self.settings.batch_lines):
                line = file.readline(self.settings.max_bytes)
                if not line.endswith(b"\n"):
                    break  # end of file, or a line still being written
                position, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                try:
                    post = IncomingPost.model_validate_json(line)
                except ValidationError as exc:
                    reason = f"line at byte {position} of {path}: {exc.errors()[0]['msg']}"
                    rejected.append((reason, line))
                    continue
                items.append(post_item(post, self.settings.lang))
        return Fetched(items, {"offset": offset, "inode": stat.st_ino}, rejected=rejected)
