"""YouTube Data API v3: comment threads of a video, or of every video of a channel.

GET {base}/youtube/v3/commentThreads?part=snippet&order=time&maxResults=100&key=
&videoId= (or &allThreadsRelatedToChannelId=) [&pageToken=] returns {"items": [{"id",
"snippet": {"videoId", "totalReplyCount", "topLevelComment": {"id", "snippet":
{"textOriginal", "authorDisplayName", "authorChannelId": {"value"}, "likeCount",
"publishedAt"}}}}], "nextPageToken"?}. Newest first: each poll pages until it reaches
comments published before the cursor {"since"} (the newest emitted), at most `max_pages`.
URL: https://www.youtube.com/watch?v=<video>&lc=<comment id>. `observe` reads
commentThreads?id=<ids> (same shape) for the current like and reply counts.
"""

from datetime import datetime

from pydantic import Field

from ingest.http import SafeClient
from ingest.sources.api import Shape, get_json
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched, SourceError
from schemas.config import YouTubeSourceSettings


class ChannelId(Shape):
    value: str


class CommentSnippet(Shape):
    text_original: str = Field(alias="textOriginal")
    author_display_name: str | None = Field(default=None, alias="authorDisplayName")
    author_channel_id: ChannelId | None = Field(default=None, alias="authorChannelId")
    like_count: int = Field(default=0, alias="likeCount")
    published_at: datetime = Field(alias="publishedAt")


class Comment(Shape):
    id: str
    snippet: CommentSnippet


class ThreadSnippet(Shape):
    video_id: str = Field(alias="videoId")
    total_reply_count: int = Field(default=0, alias="totalReplyCount")
    top_level_comment: Comment = Field(alias="topLevelComment")


class Thread(Shape):
    id: str
    snippet: ThreadSnippet


class CommentThreads(Shape):
    items: list[Thread]
    next_page_token: str | None = Field(default=None, alias="nextPageToken")


def _published(thread: Thread) -> datetime:
    return thread.snippet.top_level_comment.snippet.published_at


class YouTubeComments(ConfiguredSource[YouTubeSourceSettings]):
    kind = "youtube"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        s = self.settings
        if s.api_key is None:
            raise SourceError("no api_key (set VEILLE__SOURCES__<N>__API_KEY)")
        since = datetime.fromisoformat(cursor["since"]) if cursor.get("since") else None
        url = f"{s.base_url.rstrip('/')}/youtube/v3/commentThreads"
        params: dict[str, str | int] = {
            "part": "snippet",
            "order": "time",
            "maxResults": 100,
            "key": s.api_key.get_secret_value(),
        }
        if s.video_id:
            params["videoId"] = s.video_id
        else:
            params["allThreadsRelatedToChannelId"] = s.channel_id or ""
        threads: list[Thread] = []
        for _ in range(s.max_pages):
            page, _ = await get_json(client, s, url, CommentThreads, params=params)
            fresh = [t for t in page.items if since is None or _published(t) > since]
            threads.extend(fresh)
            if not page.next_page_token or len(fresh) < len(page.items) or since is None:
                break
            params["pageToken"] = page.next_page_token
        stamps = [_published(t) for t in threads]
        newest = max(stamps, default=since)
        return Fetched(
            [self._item(t) for t in threads], {"since": newest.isoformat()} if newest else cursor
        )

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
            items.extend(self._item(t) for t in page.items)
        return items

    def _item(self, thread: Thread) -> FeedItem:
        comment = thread.snippet.top_level_comment
        snippet = comment.snippet
        return FeedItem(
            native_id=comment.id,
            url=f"https://www.youtube.com/watch?v={thread.snippet.video_id}&lc={comment.id}",
            title=None,
            text=snippet.text_original or "(no text)",
            author_name=snippet.author_display_name,
            author_handle=snippet.author_channel_id.value if snippet.author_channel_id else None,
            published_at=snippet.published_at,
            lang=self.settings.lang,
            engagement=Counts(likes=snippet.like_count, replies=thread.snippet.total_reply_count),
        )
