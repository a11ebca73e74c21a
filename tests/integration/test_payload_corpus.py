"""The real-shaped payload corpus (tests/fixtures/payloads/<source>/, origins in its README):
each source polls every recorded response from a local HTTP server, and what veille kept is
compared with what the payload holds (`<name>.expect.json`: item count, dead letters, and per
item text, URL, author (handle, id), date, language, engagement, reply relationship, reshare;
`asks`: values a query parameter of the request must list, as the API returns a field only
when asked).
A recording of a look-up by id (`"observe": [ids]`) is read through the source's `observe`."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from bench.bench_extract import pages, scores
from ingest.http import SafeClient
from ingest.matcher import Match
from ingest.normalize import to_mention
from ingest.sources import build_sources
from ingest.sources.base import Completing, FeedItem, Fetched, Observing
from schemas.config import AnySourceSettings, IngestSettings
from tests.local_http import LocalHttp, Reply

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).parents[1] / "fixtures" / "payloads"
CASES = sorted(p for p in CORPUS.glob("*/*.expect.json"))


def poll(expect: dict[str, Any], body: bytes, server: LocalHttp) -> Fetched:
    settings: dict[str, Any] = dict(expect["source"])
    path = expect.get("path", "/feed")
    base_field = {"mastodon": "instance", "bluesky": "appview", "rss": "url"}.get(
        settings["type"], "base_url"
    )
    settings[base_field] = server.base + ("/feed" if settings["type"] == "rss" else "")
    server.route(path, Reply(body=body, headers=expect.get("headers", {})))
    [source] = build_sources([TypeAdapter(AnySourceSettings).validate_python(settings)])

    async def once() -> Fetched:
        client = SafeClient(IngestSettings(allow_networks=["127.0.0.1/32"]))
        try:
            if "observe" in expect:  # a recording of a look-up by id (Observing.observe)
                assert isinstance(source, Observing)
                return Fetched(await source.observe(client, expect["observe"]), {})
            return await source.poll(client, {})
        finally:
            await client.aclose()

    return asyncio.run(once())


def check(item: FeedItem, want: dict[str, Any]) -> None:
    counts = item.engagement
    kept: dict[str, Any] = {
        "native_id": item.native_id,
        "url": item.url,
        "title": item.title,
        "author_handle": item.author_handle,
        "author_id": item.author_id,
        "author_name": item.author_name,
        "published_at": item.published_at.astimezone(UTC).isoformat(),
        "published_known": item.published_known,
        "lang": item.lang,
        "lang_origin": item.lang_origin,
        "likes": counts.likes if counts else None,
        "reposts": counts.reposts if counts else None,
        "replies": counts.replies if counts else None,
        "in_reply_to": item.in_reply_to,
        "url_identifies": item.url_identifies,
        "reshared_by": item.reshared_by.model_dump() if item.reshared_by else None,
    }
    for field, value in want.items():
        if field == "text_contains":
            assert value in item.text, (item.native_id, item.text)
        elif field == "text_lacks":
            assert value not in item.text, (item.native_id, item.text)
        else:
            assert kept[field] == value, (item.native_id, field, kept[field])


@pytest.mark.parametrize("expect_file", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_recorded_payload_is_read_as_it_holds(expect_file: Path) -> None:
    expect = json.loads(expect_file.read_text(encoding="utf-8"))
    [payload] = [
        p
        for p in expect_file.parent.glob(expect_file.name.replace(".expect.json", ".*"))
        if not p.name.endswith(".expect.json")
    ]
    server = LocalHttp()
    try:
        fetched = poll(expect, payload.read_bytes(), server)
    finally:
        server.close()
    for parameter, wanted in expect.get("asks", {}).items():
        [request] = server.hits(expect["path"])
        listed = ",".join(request.query.get(parameter, [])).split(",")
        assert set(wanted) <= set(listed), (parameter, listed)
    assert len(fetched.items) == expect["count"]
    assert len(fetched.rejected) == expect.get("rejected", 0), fetched.rejected
    for reason, raw in fetched.rejected:
        assert reason and raw  # a dead letter says why and carries the item
    by_id = {i.native_id: i for i in fetched.items}
    for position, want in enumerate(expect["items"]):
        item = by_id[want["native_id"]] if "native_id" in want else fetched.items[position]
        check(item, want)
    if "distinct_mention_ids" in expect:
        match = Match("acme", ("b",), ("q",))
        now = datetime.now(UTC)
        ids = {to_mention(i, "s", "rss", match, now).id for i in fetched.items}
        assert len(ids) == expect["distinct_mention_ids"]


def test_the_corpus_covers_every_polled_source_with_a_readme() -> None:
    assert {p.parent.name for p in CASES} >= {
        "rss",
        "mastodon",
        "bluesky",
        "reddit",
        "x",
        "youtube",
        "facebook",
    }
    assert (CORPUS / "README.md").is_file()


def test_a_summary_only_blog_entry_gets_the_text_of_its_real_article_page() -> None:
    """The blog source completes an entry from its article page: here a real CNN page with its
    judged article text (tests/fixtures/articles/, newspaper4k's test data)."""
    [(_, page, expected)] = [p for p in pages() if p[0] == "cnn_article"]
    server = LocalHttp()
    try:
        server.route("/post", Reply(body=page, headers={"Content-Type": "text/html"}))
        [source] = build_sources(
            [
                TypeAdapter(AnySourceSettings).validate_python(
                    {"type": "blog", "id": "blog", "url": f"{server.base}/"}
                )
            ]
        )
        assert isinstance(source, Completing)
        at = datetime(2026, 3, 2, tzinfo=UTC)
        summary = FeedItem(
            "1", f"{server.base}/post", "t", "Le début…", None, None, at, "en",
            extra={"summary_only": True},
        )  # fmt: skip

        async def complete() -> FeedItem:
            client = SafeClient(IngestSettings(allow_networks=["127.0.0.1/32"]))
            try:
                return await source.complete(client, summary)
            finally:
                await client.aclose()

        done = asyncio.run(complete())
    finally:
        server.close()
    recall, boilerplate = scores(done.text, expected)
    assert recall >= 0.95 and boilerplate <= 0.05, (recall, boilerplate)
