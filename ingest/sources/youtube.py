"""YouTube Data API v3: comment threads of a video, or of every video of a channel.

GET {base}/youtube/v3/commentThreads?part=snippet,replies&order=time&maxResults=100&key=
&videoId= (or &allThreadsRelatedToChannelId=) [&pageToken=] returns {"items": [{"id",
"snippet": {"videoId", "totalReplyCount", "topLevelComment": {"id", "snippet":
{"textOriginal", "authorDisplayName", "authorChannelId": {"value"}, "likeCount",
"publishedAt"}}}, "replies"?: {"comments": [{"id", "snippet": {…, "parentId"}}]}}],
"nextPageToken"?}. Newest first: each poll pages until it reaches threads published before
the cursor {"since"} (the newest thread or reply seen, read or dead-lettered; a thread served
again is dead-lettered once: ingest.sources.dead_letters), at most `max_pages`. URL:
https://www.youtube.com/watch?v=<video>&lc=<comment id>. `observe` reads
commentThreads?id=<ids> (same shape) for the current like and reply counts of top-level
comments (a reply's counts are not refreshed).

Replies: every reply the thread carries (`replies.comments`, which YouTube documents as
possibly a subset; comments.list?parentId= would have them all) newer than the cursor is a
comment of its own, even in an older thread, with `in_reply_to` its `parentId` (the
top-level comment's id, YouTube threads are one level deep). `author_id`: the author's
channel id (`authorChannelId.value`), also kept as the handle as before.

A thread on the channel itself (`channelId`, no `videoId`) is a comment like any other, with
the channel's URL; a thread without the documented shape is a dead letter, never a failed
page. YouTube declares no comment language: detected, else the configured `lang`.
"""

from datetime import datetime
from typing import Any

from pydantic import Field

from ingest.http import SafeClient
from ingest.language import resolve_language
from ingest.sources.api import Shape, get_json, parse_each, parse_time
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched, SourceError
from ingest.sources.dead_letters import once, raw_value
from schemas.config import YouTubeSourceSettings


class ChannelId(Shape):
    value: str


class CommentSnippet(Shape):
    text_original: str = Field(alias="textOriginal")
    parent_id: str | None = Field(default=None, alias="parentId")
    author_display_name: str | None = Field(default=None, alias="authorDisplayName")
    author_channel_id: ChannelId | None = Field(default=None, alias="authorChannelId")
    like_count: int = Field(default=0, alias="likeCount")
    published_at: datetime = Field(alias="publishedAt")


class Comment(Shape):
    id: str
    snippet: CommentSnippet


class ThreadSnippet(Shape):
    video_id: str | None = Field(default=None, alias="videoId")
    channel_id: str | None = Field(default=None, alias="channelId")
    total_reply_count: int = Field(default=0, alias="totalReplyCount")
    top_level_comment: Comment = Field(alias="topLevelComment")


class Replies(Shape):
    comments: list[dict[str, Any]] = Field(default_factory=list)


class Thread(Shape):
    id: str
    snippet: ThreadSnippet
    replies: Replies | None = None

    def comments(self, what: str) -> tuple[list[Comment], list[tuple[str, bytes]]]:
        """The top-level comment, then the replies the thread carries; a reply without the
        documented shape is a dead letter of its own, never the thread's."""
        replies, bad = parse_each(Comment, self.replies.comments if self.replies else [], what)
        return [self.snippet.top_level_comment, *replies], bad


class CommentThreads(Shape):
    items: list[dict[str, Any]]
    next_page_token: str | None = Field(default=None, alias="nextPageToken")


def _published(thread: Thread) -> datetime:
    return thread.snippet.top_level_comment.snippet.published_at


def _raw_published(raw: Any) -> datetime | None:
    """A raw thread's date, also when the thread is otherwise unreadable."""
    value = raw_value(raw, "snippet", "topLevelComment", "snippet", "publishedAt")
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _newer(comment: Comment, since: datetime | None) -> bool:
    return since is None or comment.snippet.published_at > since


class YouTubeComments(ConfiguredSource[YouTubeSourceSettings]):
    kind = "youtube"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        s = self.settings
        if s.api_key is None:
            raise SourceError("no api_key (set VEILLE__SOURCES__<N>__API_KEY)")
        since = datetime.fromisoformat(cursor["since"]) if cursor.get("since") else None
        url = f"{s.base_url.rstrip('/')}/youtube/v3/commentThreads"
        params: dict[str, str | int] = {
            "part": "snippet,replies",
            "order": "time",
            "maxResults": 100,
            "key": s.api_key.get_secret_value(),
        }
        if s.video_id:
            params["videoId"] = s.video_id
        else:
            params["allThreadsRelatedToChannelId"] = s.channel_id or ""
        items: list[FeedItem] = []
        rejected: list[tuple[str, bytes]] = []
        stamps: list[datetime | None] = []  # every thread's and reply's, read or dead-lettered
        for _ in range(s.max_pages):
            page, _ = await get_json(client, s, url, CommentThreads, params=params)
            good, bad = parse_each(Thread, page.items, url)
            rejected.extend(bad)
            stamps.extend(_raw_published(t) for t in page.items)
            for thread in good:
                comments, bad_replies = thread.comments(url)
                rejected.extend(bad_replies)
                for comment in comments:
                    if _newer(comment, since):
                        items.append(self._item(thread, comment))
                        stamps.append(comment.snippet.published_at)
            fresh = [t for t in good if since is None or _published(t) > since]
            if not page.next_page_token or len(fresh) < len(good) or since is None:
                break
            params["pageToken"] = page.next_page_token
        newest = max([t for t in [since, *stamps] if t], default=None)
        dead, remembered = once(cursor, rejected)
        position = {"since": newest.isoformat()} if newest else {}
        return Fetched(items, {**position, **remembered}, rejected=dead)

    async def observe(self, client: SafeClient, native_ids: list[str]) -> list[FeedItem]:
        """Current counts through commentThreads?id=… (a thread's id is its top-level
        comment's id; 50 a call)."""
        s = self.settings
        if s.api_key is None:
            return []
        url = f"{s.base_url.rstrip('/')}/youtube/v3/commentThreads"
        items: list[FeedItem] = []
        for start in range(0, len(native_ids), 50):
            params = {
                "part": "snippet",
                "id": ",".join(native_ids[start : start + 50]),
                "key": s.api_key.get_secret_value(),
            }
            page, _ = await get_json(client, s, url, CommentThreads, params=params)
            items.extend(
                self._item(t, t.snippet.top_level_comment)
                for t in parse_each(Thread, page.items, url)[0]
            )
        return items

    def _item(self, thread: Thread, comment: Comment) -> FeedItem:
        snippet = comment.snippet
        top = comment.id == thread.snippet.top_level_comment.id
        video, channel = thread.snippet.video_id, thread.snippet.channel_id
        if video:
            url: str | None = f"https://www.youtube.com/watch?v={video}&lc={comment.id}"
        else:
            url = f"https://www.youtube.com/channel/{channel}?lc={comment.id}" if channel else None
        language = resolve_language(None, snippet.text_original, self.settings.lang)
        channel_of_author = snippet.author_channel_id.value if snippet.author_channel_id else None
        return FeedItem(
            native_id=comment.id,
            url=url,
            title=None,
            text=snippet.text_original or "(no text)",
            author_name=snippet.author_display_name,
            author_handle=channel_of_author,
            published_at=snippet.published_at,
            lang=language.lang,
            lang_origin=language.origin,
            lang_confidence=language.confidence,
            engagement=Counts(
                likes=snippet.like_count, replies=thread.snippet.total_reply_count if top else 0
            ),
            in_reply_to=None if top else (snippet.parent_id or thread.snippet.top_level_comment.id),
            author_id=channel_of_author,
        )
