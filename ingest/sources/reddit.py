"""Reddit: search, a subreddit's newest posts or its newest comments, as JSON listings,
within Reddit's rules.

GET {base}/search.json?q=&sort=new&limit=, {base}/r/<sub>/new.json?limit= or (`comments`)
{base}/r/<sub>/comments.json?limit= returns {"kind": "Listing", "data": {"after", "before",
"children": [{"kind": "t3", "data": {id, name, title, selftext, author, author_fullname,
permalink, created_utc, ups, num_comments, subreddit}}]}}; a comment is a child of kind "t1"
with {id, name, body, author, author_fullname, parent_id, link_id, permalink, created_utc,
ups}. Native id: the fullname (`t3_…`, `t1_…`). A comment's `in_reply_to` is its
`parent_id`: the fullname of the comment it answers, or of the post (`link_id`) for a
top-level comment, so a brand reply anywhere in the thread climbs to the post. `author_id`:
`author_fullname` (`t2_…`), absent for a deleted author.
Cursor {"before": fullname of the newest post or comment seen, read or dead-lettered}: only
newer ones are asked for.
Rules honoured: the configured descriptive User-Agent (`platform:app:version (by /u/…)`),
and the rate-limit headers — when `X-Ratelimit-Remaining` is below 1 the next poll waits
`X-Ratelimit-Reset` seconds. `observe` reads /api/info.json?id=<fullnames>.

A link post (`is_self` false) keeps its target (`url_overridden_by_dest`, else `url`) in its
text, after any selftext: the article it shares may name the brand. A deleted or removed
author ("[deleted]", "[removed]") is no author at all, never one shared `u/[deleted]`.
Reddit declares no language: detected, else the configured `lang`. A post without the
documented shape is a dead letter.
"""

from datetime import UTC, datetime
from typing import Any

from ingest.http import SafeClient
from ingest.language import resolve_language
from ingest.sources.api import Shape, get_json, header_float, parse_each
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched
from ingest.sources.dead_letters import once
from schemas.config import RedditSourceSettings


class Post(Shape):
    id: str
    name: str
    title: str = ""
    selftext: str = ""
    author: str | None = None
    author_fullname: str | None = None
    permalink: str
    created_utc: float
    ups: int = 0
    num_comments: int = 0
    subreddit: str = ""
    is_self: bool = True
    url: str | None = None
    url_overridden_by_dest: str | None = None

    def target(self) -> str | None:
        """The URL a link post shares (None for a text post)."""
        return None if self.is_self else (self.url_overridden_by_dest or self.url)


class Comment(Shape):
    id: str
    name: str
    body: str = ""
    author: str | None = None
    author_fullname: str | None = None
    parent_id: str
    link_id: str
    permalink: str
    created_utc: float
    ups: int = 0


_GONE = {"[deleted]", "[removed]"}


def _newest(raw: list[dict[str, Any]]) -> str | None:
    """The fullname of the page's newest post, read or dead-lettered (the cursor moves past
    bad posts too: ingest.sources.dead_letters); the listing is newest first."""
    named = [(d.get("created_utc"), d["name"]) for d in raw if isinstance(d.get("name"), str)]
    dated = [(t, n) for t, n in named if isinstance(t, int | float)]
    return max(dated)[1] if dated else (named[0][1] if named else None)


class Child(Shape):
    kind: str
    data: dict[str, Any]


class ListingData(Shape):
    after: str | None = None
    before: str | None = None
    children: list[Child]


class Listing(Shape):
    kind: str
    data: ListingData


class RedditListing(ConfiguredSource[RedditSourceSettings]):
    kind = "reddit"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        s, base = self.settings, self.settings.base_url.rstrip("/")
        params: dict[str, str | int] = {"limit": s.limit, "raw_json": 1}
        if s.search is not None:
            url = f"{base}/search.json"
            params |= {"q": s.search, "sort": "new"}
        else:
            url = f"{base}/r/{s.subreddit}/{'comments' if s.comments else 'new'}.json"
        if cursor.get("before"):
            params["before"] = cursor["before"]
        listing, response = await get_json(
            client, s, url, Listing, params=params, headers={"User-Agent": s.user_agent}
        )
        raw = [c.data for c in listing.data.children if c.kind in ("t3", "t1")]
        read, rejected = _parse(listing, url)
        wait = None
        remaining = header_float(response, "X-Ratelimit-Remaining")
        if remaining is not None and remaining < 1:
            wait = header_float(response, "X-Ratelimit-Reset")
        dead, remembered = once(cursor, rejected)
        newest = _newest(raw) or cursor.get("before")
        new_cursor = {**({"before": newest} if newest else {}), **remembered}
        return Fetched([self._item(p) for p in read], new_cursor, wait, dead)

    async def observe(self, client: SafeClient, native_ids: list[str]) -> list[FeedItem]:
        """Current counts through GET /api/info.json?id=t3_a,t1_b (100 a call)."""
        s = self.settings
        items: list[FeedItem] = []
        url = f"{s.base_url.rstrip('/')}/api/info.json"
        for start in range(0, len(native_ids), 100):
            ids = ",".join(native_ids[start : start + 100])
            listing, _ = await get_json(
                client,
                s,
                url,
                Listing,
                params={"id": ids, "raw_json": 1},
                headers={"User-Agent": s.user_agent},
            )
            items.extend(self._item(p) for p in _parse(listing, url)[0])
        return items

    def _item(self, read: Post | Comment) -> FeedItem:
        if isinstance(read, Comment):
            return self._comment(read)
        post = read
        body = "" if post.selftext in _GONE else post.selftext
        text = "\n".join(t for t in (body, post.target() or "") if t)
        language = resolve_language(None, f"{post.title} {body}", self.settings.lang)
        author = post.author if post.author and post.author not in _GONE else None
        return FeedItem(
            native_id=post.name,
            url=f"https://www.reddit.com{post.permalink}",
            title=post.title or None,
            text=text or post.title or "(no text)",
            author_name=None,
            author_handle=f"u/{author}" if author else None,
            published_at=datetime.fromtimestamp(post.created_utc, UTC),
            lang=language.lang,
            lang_origin=language.origin,
            lang_confidence=language.confidence,
            engagement=Counts(likes=post.ups, replies=post.num_comments),
            author_id=post.author_fullname if author else None,
        )

    def _comment(self, comment: Comment) -> FeedItem:
        body = "" if comment.body in _GONE else comment.body
        language = resolve_language(None, body, self.settings.lang)
        author = comment.author if comment.author and comment.author not in _GONE else None
        return FeedItem(
            native_id=comment.name,
            url=f"https://www.reddit.com{comment.permalink}",
            title=None,
            text=body or "(no text)",
            author_name=None,
            author_handle=f"u/{author}" if author else None,
            published_at=datetime.fromtimestamp(comment.created_utc, UTC),
            lang=language.lang,
            lang_origin=language.origin,
            lang_confidence=language.confidence,
            engagement=Counts(likes=comment.ups),
            in_reply_to=comment.parent_id,
            author_id=comment.author_fullname if author else None,
        )


def _parse(listing: Listing, url: str) -> tuple[list[Post | Comment], list[tuple[str, bytes]]]:
    """The posts (t3) and comments (t1) of a listing, in its order; a child of either kind
    without the documented shape is rejected, other kinds (subreddits, users) are skipped."""
    read: list[Post | Comment] = []
    rejected: list[tuple[str, bytes]] = []
    for child in listing.data.children:
        if child.kind == "t3":
            posts, bad = parse_each(Post, [child.data], url)
            read.extend(posts)
        elif child.kind == "t1":
            comments, bad = parse_each(Comment, [child.data], url)
            read.extend(comments)
        else:
            continue
        rejected.extend(bad)
    return read, rejected
