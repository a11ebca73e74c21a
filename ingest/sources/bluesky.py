"""Bluesky: `app.bsky.feed.searchPosts` on the public AppView, newest first.

GET {appview}/xrpc/app.bsky.feed.searchPosts?q=&sort=latest&limit=&cursor=[&since=]
returns {"cursor"?, "hitsTotal"?, "posts": [PostView]} (docs.bsky.app). A PostView has
uri (at://did/app.bsky.feed.post/rkey), author {did, handle, displayName}, record {text,
createdAt, langs}, likeCount, repostCount, replyCount, indexedAt. Cursor {"since"}: the
newest `indexedAt` emitted; each poll pages (response `cursor`) until it reaches posts
indexed before it, at most `max_pages`. URL: https://bsky.app/profile/<handle>/post/<rkey>.
`observe` reads app.bsky.feed.getPosts?uris=… ({"posts": [PostView]}).
"""

from datetime import datetime

from pydantic import Field

from ingest.http import SafeClient
from ingest.sources.api import Shape, get_json
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched
from schemas.config import BlueskySourceSettings


class Author(Shape):
    did: str
    handle: str
    display_name: str | None = Field(default=None, alias="displayName")


class Record(Shape):
    text: str
    created_at: datetime = Field(alias="createdAt")
    langs: list[str] | None = None


class PostView(Shape):
    uri: str
    author: Author
    record: Record
    like_count: int = Field(default=0, alias="likeCount")
    repost_count: int = Field(default=0, alias="repostCount")
    reply_count: int = Field(default=0, alias="replyCount")
    indexed_at: datetime = Field(alias="indexedAt")


class SearchPosts(Shape):
    cursor: str | None = None
    posts: list[PostView]


class Posts(Shape):
    posts: list[PostView]


class BlueskySearch(ConfiguredSource[BlueskySourceSettings]):
    kind = "bluesky"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        since = datetime.fromisoformat(cursor["since"]) if cursor.get("since") else None
        url = f"{self.settings.appview.rstrip('/')}/xrpc/app.bsky.feed.searchPosts"
        posts: list[PostView] = []
        page_cursor: str | None = None
        for _ in range(self.settings.max_pages if since else 1):
            params: dict[str, str | int] = {
                "q": self.settings.query,
                "sort": "latest",
                "limit": self.settings.page_limit,
            }
            if page_cursor:
                params["cursor"] = page_cursor
            if since:
                params["since"] = since.isoformat().replace("+00:00", "Z")
            page, _ = await get_json(client, self.settings, url, SearchPosts, params=params)
            fresh = [p for p in page.posts if since is None or p.indexed_at > since]
            posts.extend(fresh)
            page_cursor = page.cursor
            if not page_cursor or len(fresh) < len(page.posts) or not page.posts:
                break
        newest = max((p.indexed_at for p in posts), default=since)
        return Fetched(
            [self._item(p) for p in posts], {"since": newest.isoformat()} if newest else cursor
        )

    async def observe(self, client: SafeClient, native_ids: list[str]) -> list[FeedItem]:
        """Current counts through app.bsky.feed.getPosts (25 at-uris a call)."""
        url = f"{self.settings.appview.rstrip('/')}/xrpc/app.bsky.feed.getPosts"
        items: list[FeedItem] = []
        for start in range(0, len(native_ids), 25):
            uris = native_ids[start : start + 25]
            page, _ = await get_json(client, self.settings, url, Posts, params={"uris": uris})
            items.extend(self._item(p) for p in page.posts)
        return items

    def _item(self, post: PostView) -> FeedItem:
        rkey = post.uri.rsplit("/", 1)[-1]
        langs = post.record.langs or []
        return FeedItem(
            native_id=post.uri,
            url=f"https://bsky.app/profile/{post.author.handle}/post/{rkey}",
            title=None,
            text=post.record.text or "(no text)",
            author_name=post.author.display_name,
            author_handle=f"@{post.author.handle}",
            published_at=post.record.created_at,
            lang=langs[0] if langs else self.settings.lang,
            engagement=Counts(post.like_count, post.repost_count, post.reply_count),
        )
