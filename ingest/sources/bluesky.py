"""Bluesky: `app.bsky.feed.searchPosts` on the public AppView, newest first.

GET {appview}/xrpc/app.bsky.feed.searchPosts?q=&sort=latest&limit=&cursor=[&since=]
returns {"cursor"?, "hitsTotal"?, "posts": [PostView]} (docs.bsky.app). A PostView has
uri (at://did/app.bsky.feed.post/rkey), author {did, handle, displayName}, record {text,
createdAt, langs}, likeCount, repostCount, replyCount, indexedAt. Cursor {"since"}: the
newest `indexedAt` seen, read or dead-lettered (ingest.sources.dead_letters); each poll
pages (response `cursor`) until it reaches posts indexed before it, at most `max_pages`.
URL: https://bsky.app/profile/<handle>/post/<rkey>. `observe` reads
app.bsky.feed.getPosts?uris=… ({"posts": [PostView]}).

Text: the record's text with each link facet's shown text (often truncated by the client,
"github.com/christopherk...") replaced by the facet's full `uri`; a link card's title and
description (`embed` app.bsky.embed.external#view) and a quoted post's text (…embed.record
#view, or recordWithMedia#view) appended, so brand matching sees them. The card's title is
also the item's title. `in_reply_to`: the record's `reply.parent.uri`. A post without the
documented shape is a dead letter.
"""

from datetime import datetime
from typing import Any

from pydantic import Field

from ingest.http import SafeClient
from ingest.language import resolve_language
from ingest.sources.api import Shape, get_json, parse_each, parse_time
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched
from ingest.sources.dead_letters import once, raw_value
from schemas.config import BlueskySourceSettings

_LINK = "app.bsky.richtext.facet#link"


class Author(Shape):
    did: str
    handle: str
    display_name: str | None = Field(default=None, alias="displayName")


class ByteSlice(Shape):
    start: int = Field(alias="byteStart")
    end: int = Field(alias="byteEnd")


class Facet(Shape):
    index: ByteSlice
    features: list[dict[str, Any]] = Field(default_factory=list)

    def link(self) -> str | None:
        for feature in self.features:
            if feature.get("$type") == _LINK and isinstance(feature.get("uri"), str):
                return str(feature["uri"])
        return None


class Ref(Shape):
    uri: str


class Reply(Shape):
    parent: Ref


class Record(Shape):
    text: str
    created_at: datetime = Field(alias="createdAt")
    langs: list[str] | None = None
    facets: list[Facet] = Field(default_factory=list)
    reply: Reply | None = None

    def full_text(self) -> str:
        """The text with each link facet's (truncated) shown text replaced by its URI."""
        raw = self.text.encode()
        out, at = [], 0
        links = sorted((f.index.start, f.index.end, u) for f in self.facets if (u := f.link()))
        for start, end, uri in links:
            if start < at or end > len(raw) or start > end:
                continue  # overlapping or out of range: the text as written
            out += [raw[at:start], uri.encode()]
            at = end
        return b"".join([*out, raw[at:]]).decode(errors="replace")


def _embedded(embed: dict[str, Any] | None) -> tuple[str | None, list[str]]:
    """(link card title, texts to append) of a post view's `embed`."""
    if not embed:
        return None, []
    kind = str(embed.get("$type", ""))
    if kind.startswith("app.bsky.embed.external"):
        card = embed.get("external") or {}
        title = str(card.get("title") or "") or None
        return title, [t for t in (title, str(card.get("description") or "")) if t]
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        title, media = _embedded(embed.get("media"))
        _, quoted = _embedded(
            {"$type": "app.bsky.embed.record#view", **(embed.get("record") or {})}
        )
        return title, media + quoted
    if kind.startswith("app.bsky.embed.record"):
        record = embed.get("record") or {}
        value = record.get("value") or {}
        handle = (record.get("author") or {}).get("handle")
        text = str(value.get("text") or "")
        return None, [f"« @{handle}: {text} »" if handle else f"« {text} »"] if text else []
    return None, []


class PostView(Shape):
    uri: str
    author: Author
    record: Record
    embed: dict[str, Any] | None = None
    like_count: int = Field(default=0, alias="likeCount")
    repost_count: int = Field(default=0, alias="repostCount")
    reply_count: int = Field(default=0, alias="replyCount")
    indexed_at: datetime = Field(alias="indexedAt")


class SearchPosts(Shape):
    cursor: str | None = None
    posts: list[dict[str, Any]]


class Posts(Shape):
    posts: list[dict[str, Any]]


def _indexed_at(raw: Any) -> datetime | None:
    """A raw post's `indexedAt`, also when the post is otherwise unreadable (the cursor moves
    past it)."""
    value = raw_value(raw, "indexedAt")
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


class BlueskySearch(ConfiguredSource[BlueskySourceSettings]):
    kind = "bluesky"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        since = datetime.fromisoformat(cursor["since"]) if cursor.get("since") else None
        url = f"{self.settings.appview.rstrip('/')}/xrpc/app.bsky.feed.searchPosts"
        posts: list[PostView] = []
        rejected: list[tuple[str, bytes]] = []
        page_cursor: str | None = None
        stamps: list[datetime | None] = []  # every post's, read or dead-lettered
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
            good, bad = parse_each(PostView, page.posts, url)
            rejected.extend(bad)
            fresh = [p for p in good if since is None or p.indexed_at > since]
            posts.extend(fresh)
            stamps.extend(_indexed_at(raw) for raw in page.posts)
            page_cursor = page.cursor
            if not page_cursor or len(fresh) < len(good) or not page.posts:
                break
        newest = max([s for s in [since, *stamps] if s], default=None)
        dead, remembered = once(cursor, rejected)
        position = {"since": newest.isoformat()} if newest else {}
        return Fetched([self._item(p) for p in posts], {**position, **remembered}, rejected=dead)

    async def observe(self, client: SafeClient, native_ids: list[str]) -> list[FeedItem]:
        """Current counts through app.bsky.feed.getPosts (25 at-uris a call)."""
        url = f"{self.settings.appview.rstrip('/')}/xrpc/app.bsky.feed.getPosts"
        items: list[FeedItem] = []
        for start in range(0, len(native_ids), 25):
            uris = native_ids[start : start + 25]
            page, _ = await get_json(client, self.settings, url, Posts, params={"uris": uris})
            items.extend(self._item(p) for p in parse_each(PostView, page.posts, url)[0])
        return items

    def _item(self, post: PostView) -> FeedItem:
        rkey = post.uri.rsplit("/", 1)[-1]
        langs = post.record.langs or []
        title, embedded = _embedded(post.embed)
        text = "\n".join([post.record.full_text(), *embedded]).strip()
        language = resolve_language(langs[0] if langs else None, text, self.settings.lang)
        reply = post.record.reply
        return FeedItem(
            native_id=post.uri,
            url=f"https://bsky.app/profile/{post.author.handle}/post/{rkey}",
            title=title,
            text=text or "(no text)",
            author_name=post.author.display_name,
            author_handle=f"@{post.author.handle}",
            published_at=post.record.created_at,
            lang=language.lang,
            lang_origin=language.origin,
            lang_confidence=language.confidence,
            engagement=Counts(post.like_count, post.repost_count, post.reply_count),
            in_reply_to=reply.parent.uri if reply else None,
            author_id=post.author.did,
        )
