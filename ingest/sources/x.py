"""X (Twitter) API v2 recent search, with `since_id` and the rate-limit headers.

GET {base}/2/tweets/search/recent?query=&since_id=&max_results=&next_token=
&tweet.fields=created_at,lang,public_metrics,author_id,referenced_tweets,note_tweet
&expansions=author_id&user.fields=username,name,public_metrics, with `Authorization: Bearer
<token>`, returns {"data"?: [{id, text, created_at, lang, author_id, public_metrics:
{like_count, retweet_count, reply_count, quote_count}, note_tweet?: {text}}], "includes"?:
{"users": [{id, name, username, public_metrics: {followers_count}}]}, "meta": {newest_id?,
result_count, next_token?}}.
Cursor {"since_id"}: the API's `meta.newest_id` (it counts tweets veille could not read
too); pages follow `next_token`. A long post (over 280 characters) comes with `text` cut
short and its whole text in `note_tweet.text`, which veille keeps: the brand or the grief is
often in the part cut off. A tweet without the documented shape is a dead letter, once
(ingest.sources.dead_letters). When `x-rate-limit-remaining` is 0 the next poll waits until
`x-rate-limit-reset` (epoch s).
`observe` reads GET /2/tweets?ids=… ({"data": [Tweet], "includes": …}).
"""

import time
from datetime import datetime
from typing import Any

from pydantic import Field

from ingest.http import SafeClient
from ingest.language import resolve_language
from ingest.sources.api import Shape, get_json, header_float, parse_each
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched, SourceError
from ingest.sources.dead_letters import once
from ingest.text import clean_text
from schemas.config import XSourceSettings


class TweetMetrics(Shape):
    like_count: int = 0
    retweet_count: int = 0
    reply_count: int = 0
    quote_count: int = 0


class Reference(Shape):
    type: str
    id: str


class NoteTweet(Shape):
    text: str


class Tweet(Shape):
    id: str
    text: str
    """Cut short for a long post: the whole text is `note_tweet.text`."""
    note_tweet: NoteTweet | None = None
    created_at: datetime
    lang: str | None = None
    author_id: str | None = None
    public_metrics: TweetMetrics = TweetMetrics()
    referenced_tweets: list[Reference] = Field(default_factory=list)

    def replied_to(self) -> str | None:
        return next((r.id for r in self.referenced_tweets if r.type == "replied_to"), None)


class UserMetrics(Shape):
    followers_count: int | None = None


class User(Shape):
    id: str
    name: str | None = None
    username: str
    public_metrics: UserMetrics = UserMetrics()


class Includes(Shape):
    users: list[User] = Field(default_factory=list)


class Meta(Shape):
    result_count: int
    newest_id: str | None = None
    next_token: str | None = None


class RecentSearch(Shape):
    data: list[dict[str, Any]] = Field(default_factory=list)
    includes: Includes = Includes()
    meta: Meta


class Tweets(Shape):
    data: list[Tweet] = Field(default_factory=list)
    includes: Includes = Includes()


FIELDS = {
    "tweet.fields": "created_at,lang,public_metrics,author_id,referenced_tweets,note_tweet",
    "expansions": "author_id",
    "user.fields": "username,name,public_metrics",
}


class XRecentSearch(ConfiguredSource[XSourceSettings]):
    kind = "x"

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        s = self.settings
        if s.bearer_token is None:
            raise SourceError("no bearer_token (set VEILLE__SOURCES__<N>__BEARER_TOKEN)")
        url = f"{s.base_url.rstrip('/')}/2/tweets/search/recent"
        headers = {"Authorization": f"Bearer {s.bearer_token.get_secret_value()}"}
        since_id: str | None = cursor.get("since_id")
        tweets: list[Tweet] = []
        rejected: list[tuple[str, bytes]] = []
        users: dict[str, User] = {}
        newest = since_id
        token: str | None = None
        wait = None
        for _ in range(s.max_pages):
            params: dict[str, str | int] = {
                "query": s.query,
                "max_results": s.max_results,
                **FIELDS,
            }
            if since_id:
                params["since_id"] = since_id
            if token:
                params["next_token"] = token
            page, response = await get_json(
                client, s, url, RecentSearch, params=params, headers=headers
            )
            good, bad = parse_each(Tweet, page.data, url)
            tweets.extend(good)
            rejected.extend(bad)
            users.update({u.id: u for u in page.includes.users})
            if page.meta.newest_id and (newest is None or int(page.meta.newest_id) > int(newest)):
                newest = page.meta.newest_id
            if header_float(response, "x-rate-limit-remaining") == 0:
                reset = header_float(response, "x-rate-limit-reset")
                wait = max(0.0, reset - time.time()) if reset else None
                break
            token = page.meta.next_token
            if not token:
                break
        items = [self._item(t, users.get(t.author_id or "")) for t in tweets]
        dead, remembered = once(cursor, rejected)
        position = {"since_id": newest} if newest else {}
        return Fetched(items, {**position, **remembered}, wait, dead)

    async def observe(self, client: SafeClient, native_ids: list[str]) -> list[FeedItem]:
        """Current counts through GET /2/tweets?ids=… (100 a call)."""
        s = self.settings
        if s.bearer_token is None:
            return []
        headers = {"Authorization": f"Bearer {s.bearer_token.get_secret_value()}"}
        items: list[FeedItem] = []
        for start in range(0, len(native_ids), 100):
            params = {"ids": ",".join(native_ids[start : start + 100]), **FIELDS}
            page, _ = await get_json(
                client,
                s,
                f"{s.base_url.rstrip('/')}/2/tweets",
                Tweets,
                params=params,
                headers=headers,
            )
            users = {u.id: u for u in page.includes.users}
            items.extend(self._item(t, users.get(t.author_id or "")) for t in page.data)
        return items

    def _item(self, tweet: Tweet, user: User | None) -> FeedItem:
        handle = user.username if user else None
        metrics = tweet.public_metrics
        whole = tweet.note_tweet.text if tweet.note_tweet else tweet.text
        text = clean_text(whole)  # the API escapes &, < and >
        language = resolve_language(tweet.lang, text, self.settings.lang)
        return FeedItem(
            native_id=tweet.id,
            url=f"https://x.com/{handle or 'i'}/status/{tweet.id}",
            title=None,
            text=text or "(no text)",
            author_name=user.name if user else None,
            author_handle=f"@{handle}" if handle else None,
            published_at=tweet.created_at,
            lang=language.lang,
            lang_origin=language.origin,
            lang_confidence=language.confidence,
            author_followers=user.public_metrics.followers_count if user else None,
            engagement=Counts(
                metrics.like_count, metrics.retweet_count + metrics.quote_count, metrics.reply_count
            ),
            in_reply_to=tweet.replied_to(),
            author_id=tweet.author_id,
        )
