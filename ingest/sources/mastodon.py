"""Mastodon: a public hashtag timeline, an account's statuses, or search, with `min_id`.

Documented endpoints (docs.joinmastodon.org/methods/): GET /api/v1/timelines/tag/:hashtag,
GET /api/v1/accounts/:id/statuses (both return [Status]), GET /api/v2/search?type=statuses
(returns {"statuses": [Status]}). Cursor {"min_id"}: the newest status id seen, read or
dead-lettered (ingest.sources.dead_letters); `min_id` pages forward from it, up to
`max_pages` pages of `page_limit` per poll. The first poll (no cursor) takes the newest page
only. Engagement: favourites/reblogs/replies counts; author followers from the account.
Native id: the instance's status id (the mention id comes from the status URL, the same on
every instance). `observe` reads GET /api/v1/statuses/:id.

A boost (`reblog` set) is the boosted status: its author, text, URL, counts and id; the
booster is kept as `reshared_by` (its followers are the reach). Handles carry the instance
(`@user@instance`: `acct` is bare for the instance's own accounts). `in_reply_to`: the
status's `in_reply_to_id`. A status without the documented shape is a dead letter.
"""

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import RootModel

from ingest.http import SafeClient
from ingest.language import resolve_language
from ingest.sources.api import Shape, get_json, parse_each
from ingest.sources.base import ConfiguredSource, Counts, Cursor, FeedItem, Fetched
from ingest.sources.dead_letters import once, raw_value
from ingest.text import clean_text
from schemas.config import MastodonSourceSettings
from schemas.mention import Author


class Account(Shape):
    acct: str
    id: str | None = None
    url: str | None = None
    display_name: str = ""
    followers_count: int | None = None

    def handle(self, instance: str) -> str:
        if "@" in self.acct:
            return f"@{self.acct}"
        host = urlsplit(self.url or "").hostname or urlsplit(instance).hostname or ""
        return f"@{self.acct}@{host}" if host else f"@{self.acct}"


class Status(Shape):
    id: str
    created_at: datetime
    url: str | None = None
    uri: str
    content: str = ""
    spoiler_text: str = ""
    language: str | None = None
    account: Account
    favourites_count: int = 0
    reblogs_count: int = 0
    replies_count: int = 0
    in_reply_to_id: str | None = None
    reblog: "Status | None" = None


class Statuses(Shape):
    statuses: list[dict[str, Any]]


def _newer(a: str, b: str) -> bool:
    """Mastodon ids are numeric strings: compare as numbers when they are."""
    return (int(a) > int(b)) if a.isdigit() and b.isdigit() else a > b


class MastodonTimeline(ConfiguredSource[MastodonSourceSettings]):
    kind = "mastodon"

    def _endpoint(self) -> tuple[str, dict[str, str | int]]:
        s, base = self.settings, self.settings.instance.rstrip("/")
        if s.hashtag is not None:
            return f"{base}/api/v1/timelines/tag/{s.hashtag.lstrip('#')}", {}
        if s.account_id is not None:
            return f"{base}/api/v1/accounts/{s.account_id}/statuses", {}
        return f"{base}/api/v2/search", {
            "q": s.search or "",
            "type": "statuses",
            "resolve": "false",
        }

    async def _page(self, client: SafeClient, min_id: str | None) -> list[Any]:
        """The page's raw statuses."""
        url, params = self._endpoint()
        params = {**params, "limit": self.settings.page_limit}
        if min_id:
            params["min_id"] = min_id
        token = self.settings.token
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else None
        if self.settings.search is not None:
            found, _ = await get_json(
                client, self.settings, url, Statuses, params=params, headers=headers
            )
            return found.statuses
        page, _ = await get_json(
            client,
            self.settings,
            url,
            RootModel[list[dict[str, Any]]],
            params=params,
            headers=headers,
        )
        return page.root

    async def poll(self, client: SafeClient, cursor: Cursor) -> Fetched:
        """`min_id` moves past every status of a page, read or dead-lettered: a page made
        only of bad statuses is dead-lettered once, then the next page is asked for."""
        min_id: str | None = cursor.get("min_id")
        statuses: list[Status] = []
        rejected: list[tuple[str, bytes]] = []
        url, _ = self._endpoint()
        for _ in range(self.settings.max_pages if min_id else 1):
            raw = await self._page(client, min_id)
            page, bad = parse_each(Status, raw, url)
            statuses.extend(page)
            rejected.extend(bad)
            ids = [str(i) for e in raw if isinstance(i := raw_value(e, "id"), str | int)]
            if not ids:
                break
            newest = max(ids, key=lambda i: (len(i), i))
            min_id = newest if min_id is None or _newer(newest, min_id) else min_id
            if len(raw) < self.settings.page_limit:
                break
        items = [self._item(s) for s in statuses]
        fresh, remembered = once(cursor, rejected)
        position = {"min_id": min_id} if min_id else {}
        return Fetched(items, {**position, **remembered}, rejected=fresh)

    async def observe(self, client: SafeClient, native_ids: list[str]) -> list[FeedItem]:
        base = self.settings.instance.rstrip("/")
        token = self.settings.token
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else None
        items: list[FeedItem] = []
        for status_id in native_ids:
            status, _ = await get_json(
                client,
                self.settings,
                f"{base}/api/v1/statuses/{status_id}",
                Status,
                headers=headers,
            )
            items.append(self._item(status))
        return items

    def _item(self, read: Status) -> FeedItem:
        status = read.reblog or read
        instance = self.settings.instance
        text = clean_text(status.content)
        if status.spoiler_text:
            text = f"{clean_text(status.spoiler_text)} {text}".strip()
        booster = read.account if read.reblog else None
        language = resolve_language(status.language, text, self.settings.lang)
        return FeedItem(
            native_id=status.id,
            url=status.url or status.uri,
            title=None,
            text=text or "(no text)",
            author_name=status.account.display_name or None,
            author_handle=status.account.handle(instance),
            published_at=status.created_at,
            lang=language.lang,
            lang_origin=language.origin,
            lang_confidence=language.confidence,
            author_followers=status.account.followers_count,
            engagement=Counts(status.favourites_count, status.reblogs_count, status.replies_count),
            reshared_by=Author(
                id=booster.id,
                handle=booster.handle(instance),
                name=booster.display_name or None,
                followers=booster.followers_count
                if booster.followers_count is not None and booster.followers_count >= 0
                else None,
            )
            if booster
            else None,
            in_reply_to=status.in_reply_to_id,
            author_id=status.account.id,
        )
