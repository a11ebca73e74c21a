"""A page made only of bad items is dead-lettered once, then passed (issue 13): each cursor
source polls it twice from a local server, carrying its cursor over as the worker does; the
second poll sends no dead letter again, and a position cursor has moved past the bad items
(the next request asks for what comes after them)."""

import asyncio
import json
from typing import Any

import pytest
from pydantic import TypeAdapter

from ingest.http import SafeClient
from ingest.sources import build_sources
from ingest.sources.base import Cursor, Fetched
from schemas.config import AnySourceSettings, IngestSettings
from tests.local_http import LocalHttp, Reply

pytestmark = pytest.mark.integration

# Each: settings, the path polled, a page of two items without the documented shape (each
# lacks a required field but keeps its id and date), and the query parameter that carries the
# position (None: the source re-reads a window and only remembers what it dead-lettered).
CASES: dict[str, tuple[dict[str, Any], str, Any, str | None, str | None]] = {
    "mastodon": (
        {"type": "mastodon", "id": "m", "hashtag": "volaris", "page_limit": 2},
        "/api/v1/timelines/tag/volaris",
        [{"id": "1102", "created_at": "2026-11-30T10:00:00Z"}, {"id": "1101"}],
        "min_id",
        "1102",
    ),
    "bluesky": (
        {"type": "bluesky", "id": "b", "query": "volaris"},
        "/xrpc/app.bsky.feed.searchPosts",
        {
            "posts": [
                {"uri": "at://did:plc:a/app.bsky.feed.post/2", "indexedAt": "2026-11-30T10:02:00Z"},
                {"uri": "at://did:plc:a/app.bsky.feed.post/1", "indexedAt": "2026-11-30T10:01:00Z"},
            ]
        },
        "since",
        "2026-11-30T10:02:00Z",
    ),
    "reddit": (
        {"type": "reddit", "id": "r", "search": "volaris", "user_agent": "linux:t:1 (by /u/t)"},
        "/search.json",
        {
            "kind": "Listing",
            "data": {
                "children": [
                    {"kind": "t3", "data": {"id": "b2", "name": "t3_b2", "created_utc": 1e9 + 2}},
                    {"kind": "t3", "data": {"id": "b1", "name": "t3_b1", "created_utc": 1e9 + 1}},
                ]
            },
        },
        "before",
        "t3_b2",
    ),
    "x": (
        {"type": "x", "id": "x", "query": "volaris", "bearer_token": "t"},
        "/2/tweets/search/recent",
        {
            "data": [{"id": "1900000000000000002"}, {"id": "1900000000000000001", "text": "x"}],
            "meta": {"result_count": 2, "newest_id": "1900000000000000002"},
        },
        "since_id",
        "1900000000000000002",
    ),
    "youtube": (
        {"type": "youtube", "id": "y", "video_id": "v1", "api_key": "k"},
        "/youtube/v3/commentThreads",
        {
            "items": [
                {
                    "id": f"Ug{n}",
                    "snippet": {
                        "topLevelComment": {"snippet": {"publishedAt": f"2026-11-30T1{n}Z"}}
                    },
                }
                for n in ("1:00:00", "0:00:00")
            ]
        },
        None,
        None,
    ),
    "facebook": (
        {"type": "facebook", "id": "fb", "page_id": "1034", "access_token": "t"},
        "/v19.0/1034/posts",
        {"data": [{"id": "1034_1", "comments": {"data": [{"id": "c1"}, {"id": "c2"}]}}]},
        None,
        None,
    ),
}


def _poll(settings: dict[str, Any], server: LocalHttp, cursor: Cursor) -> Fetched:
    base_field = {"mastodon": "instance", "bluesky": "appview"}.get(settings["type"], "base_url")
    [source] = build_sources(
        [TypeAdapter(AnySourceSettings).validate_python({**settings, base_field: server.base})]
    )

    async def once() -> Fetched:
        client = SafeClient(IngestSettings(allow_networks=["127.0.0.1/32"]))
        try:
            return await source.poll(client, cursor)
        finally:
            await client.aclose()

    return asyncio.run(once())


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_page_of_bad_items_is_dead_lettered_once_then_passed(name: str) -> None:
    settings, path, page, position, newest = CASES[name]
    server = LocalHttp()
    try:
        server.route(path, Reply(body=json.dumps(page).encode()))
        first = _poll(settings, server, {})
        assert first.items == [] and len(first.rejected) == 2, first.rejected
        second = _poll(settings, server, first.cursor)
        assert second.rejected == [], "the same bad items were dead-lettered again"
        if position is not None:
            asked = server.requests[-1].query.get(position, [""])[0]
            assert asked.replace("+00:00", "Z") == newest, (position, asked)
        third = _poll(settings, server, second.cursor)
        assert third.rejected == []
    finally:
        server.close()


def test_a_new_bad_item_after_the_remembered_ones_is_still_dead_lettered() -> None:
    settings, path, page, _, _ = CASES["facebook"]
    server = LocalHttp()
    try:
        server.route(path, Reply(body=json.dumps(page).encode()))
        first = _poll(settings, server, {})
        page["data"][0]["comments"]["data"].append({"id": "c3"})
        server.route(path, Reply(body=json.dumps(page).encode()))
        second = _poll(settings, server, first.cursor)
        assert [json.loads(raw)["id"] for _, raw in second.rejected] == ["c3"]
    finally:
        server.close()
