"""Facebook Graph API: comments on a page's recent posts (page access token).

GET {base}/{version}/{page_id}/posts?fields=id,permalink_url,comments.limit(100)
{id,message,created_time,from,like_count,comment_count,permalink_url}&since=<unix>
&access_token= returns {"data": [{"id", "permalink_url"?, "comments"?: {"data": [{"id",
"message", "created_time", "from"?: {"id", "name"}, "like_count", "comment_count",
"permalink_url"?}], "paging"?}}], "paging"?: {"next"?}}. Posts of the last `lookback_days`
are read each poll (following `paging.next`, at most `max_pages`); comments already emitted
are skipped by the worker; engagement changes become updates. Errors come as
{"error": {"message", "type", "code"}} with a 4xx status, reported as the source's error.
A comment without the documented shape is a dead letter (the others go on), once: the
cursor {"dead_letters"} remembers it across the polls that read it again
(ingest.sources.dead_letters). A comment's
`in_reply_to` is the post's id; its language is detected, else the configured `lang`.
"""

from datetime import UTC, datetime, timedelta

from pydantic import Field

from ingest.http import SafeClient
from ingest.language import resolve_language
from ingest.sources.api import Shape, get_json, parse_each
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched, SourceError
from ingest.sources.dead_letters import once
from schemas.config import FacebookSourceSettings


class From(Shape):
    id: str
    name: str | None = None


class Comment(Shape):
    id: str
    message: str = ""
    created_time: datetime
    from_: From | None = Field(default=None, alias="from")
    like_count: int = 0
    comment_count: int = 0
    permalink_url: str | None = None

    model_config = Shape.model_config | {"populate_by_name": True}


class Comments(Shape):
    data: list[object]


class Paging(Shape):
    next: str | None = None


class Post(Shape):
    id: str
    permalink_url: str | None = None
    comments: Comments | None = None


class Posts(Shape):
    data: list[Post]
    paging: Paging | None = None


FIELDS = (
    "id,permalink_url,comments.limit(100){id,message,created_time,from,like_count,"
    "comment_count,permalink_url}"
)


class FacebookPageComments(ConfiguredSource[FacebookSourceSettings]):
    kind = "facebook"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        s = self.settings
        if s.access_token is None:
            raise SourceError("no access_token (set VEILLE__SOURCES__<N>__ACCESS_TOKEN)")
        since = datetime.now(UTC) - timedelta(days=s.lookback_days)
        url: str | None = f"{s.base_url.rstrip('/')}/{s.api_version}/{s.page_id}/posts"
        params: dict[str, str | int] | None = {
            "fields": FIELDS,
            "since": int(since.timestamp()),
            "limit": 25,
            "access_token": s.access_token.get_secret_value(),
        }
        items: list[FeedItem] = []
        rejected: list[tuple[str, bytes]] = []
        for _ in range(s.max_pages):
            assert url is not None
            page, _ = await get_json(client, s, url, Posts, params=params)
            for post in page.data:
                raw = post.comments.data if post.comments else []
                comments, bad = parse_each(Comment, raw, f"the comments of post {post.id}")
                rejected.extend(bad)
                items.extend(self._item(post, comment) for comment in comments)
            url = page.paging.next if page.paging else None
            params = None  # `next` carries every parameter
            if not url:
                break
        dead, remembered = once(cursor, rejected)
        return Fetched(items, remembered, rejected=dead)

    def _item(self, post: Post, comment: Comment) -> FeedItem:
        author = comment.from_
        language = resolve_language(None, comment.message, self.settings.lang)
        return FeedItem(
            native_id=comment.id,
            url=comment.permalink_url
            or (f"{post.permalink_url}?comment_id={comment.id}" if post.permalink_url else None),
            title=None,
            text=comment.message or "(no text)",
            author_name=author.name if author else None,
            author_handle=author.id if author else None,
            published_at=comment.created_time,
            lang=language.lang,
            lang_origin=language.origin,
            lang_confidence=language.confidence,
            engagement=Counts(likes=comment.like_count, replies=comment.comment_count),
            in_reply_to=post.id,
        )
