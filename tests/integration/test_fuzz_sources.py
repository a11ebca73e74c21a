"""Every source's poll on arbitrary payloads (hypothesis): documented shapes with hostile
values, missing or retyped fields, and plain garbage bytes, served by a real HTTP server on
127.0.0.1 (the replay source: a real file). A poll either raises SourceError/FetchError (the
worker's clear per-source errors) or returns a batch that the assembler and the sink take
without raising: a bad item becomes a dead letter, never another exception. The sink is
MentionSink with an in-memory cursor store; its producer keeps the bytes it is sent (what
Kafka would get), which must be JSON."""

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from ingest.assembler import BatchAssembler
from ingest.cursors import CursorStore
from ingest.delivery import MentionSink
from ingest.http import FetchError, SafeClient
from ingest.matcher import BrandMatcher
from ingest.sources import build_sources
from ingest.sources.base import Source, SourceError
from runtime.kafka import DurableProducer
from schemas.config import AnySourceSettings, EventTimeSettings, IngestSettings, TenantSettings
from schemas.topics import Topics
from tests.local_http import LocalHttp, Reply

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]

AT = "2026-11-21T20:00:00Z"
HOSTILE = [
    "Air Volaris",
    "volaris \x00\x07\x1b[31m rouge",
    "volaris \u202eesreveR",
    "\ud800 volaris",
    "<script>volaris</script>",
    "&#0; &#x110000; &amp volaris",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "",
    " ",
    "volaris " * 2000,
    "https://x/\x00",
    "javascript:alert(1)",
    "http://[::1",
    "http://127.0.0.1:99999/",
    "%%%",
    "1e309",
    "-1",
    "18446744073709551616",
]
TENANT = TenantSettings.model_validate(
    {
        "id": "t",
        "name": "T",
        "brands": [
            {"id": "v", "name": "V", "queries": [{"id": "q", "query": "volaris OR remboursez"}]}
        ],
    }
)
strings = st.one_of(st.sampled_from(HOSTILE), st.text(), st.text().map(lambda t: f"volaris {t}"))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), strings, st.integers(-(2**70), 2**70)
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3)
)

# A documented payload per source (shapes: ingest/sources/<type>.py).
STATUS = {
    "id": "1",
    "created_at": AT,
    "uri": "https://m.example/s/1",
    "url": "https://m.example/@j/1",
    "content": "<p>Air Volaris</p>",
    "spoiler_text": "",
    "language": "fr",
    "account": {"acct": "j@m.example", "display_name": "J", "followers_count": 3},
    "favourites_count": 1,
    "reblogs_count": 2,
    "replies_count": 3,
}
POST_VIEW = {
    "uri": "at://did:plc:a/app.bsky.feed.post/k",
    "indexedAt": AT,
    "author": {"did": "did:plc:a", "handle": "j.bsky.social", "displayName": "J"},
    "record": {"text": "Air Volaris", "createdAt": AT, "langs": ["fr"]},
    "likeCount": 1,
    "repostCount": 1,
    "replyCount": 1,
}
REDDIT = {
    "kind": "Listing",
    "data": {
        "after": None,
        "children": [
            {
                "kind": "t3",
                "data": {
                    "id": "p",
                    "name": "t3_p",
                    "title": "Air Volaris",
                    "selftext": "",
                    "author": "m",
                    "permalink": "/r/f/comments/p/x/",
                    "created_utc": 1.79e9,
                    "ups": 1,
                    "num_comments": 2,
                },
            }
        ],
    },
}
TWEETS = {
    "data": [
        {
            "id": "9",
            "text": "Air Volaris",
            "created_at": AT,
            "lang": "fr",
            "author_id": "42",
            "public_metrics": {"like_count": 3},
        }
    ],
    "includes": {
        "users": [
            {"id": "42", "name": "S", "username": "s", "public_metrics": {"followers_count": 12}}
        ]
    },
    "meta": {"newest_id": "9", "result_count": 1},
}
THREADS = {
    "items": [
        {
            "id": "c",
            "snippet": {
                "videoId": "v",
                "topLevelComment": {
                    "id": "c",
                    "snippet": {
                        "textOriginal": "Air Volaris",
                        "authorDisplayName": "I",
                        "likeCount": 7,
                        "publishedAt": AT,
                        "updatedAt": AT,
                    },
                },
            },
        }
    ]
}
FACEBOOK = {
    "data": [
        {
            "id": "1_1",
            "permalink_url": "https://www.facebook.com/1/posts/1",
            "comments": {
                "data": [
                    {
                        "id": "1_9",
                        "message": "Air Volaris",
                        "created_time": AT,
                        "from": {"id": "7", "name": "J"},
                        "like_count": 3,
                    }
                ]
            },
        }
    ]
}
POST = {"id": "p1", "text": "Air Volaris", "published_at": AT, "author": {"handle": "@a"}}
FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><language>{lang}
</language><item><title>{title}</title><link>{link}</link><guid>{guid}</guid><pubDate>{date}
</pubDate><description>{text}</description></item></channel></rss>"""
PAGE = '<html><head><link rel="alternate" type="application/rss+xml" href="{href}"></head></html>'

SOURCES: dict[str, tuple[dict[str, Any], Any]] = {
    "rss": ({"url": "{base}/feed"}, None),
    "blog": ({"url": "{base}/blog"}, None),
    "mastodon": ({"instance": "{base}", "hashtag": "volaris"}, [STATUS]),
    "bluesky": ({"appview": "{base}", "query": "volaris"}, {"posts": [POST_VIEW]}),
    "reddit": ({"base_url": "{base}", "subreddit": "f", "user_agent": "l:v:1 (by /u/v)"}, REDDIT),
    "x": ({"base_url": "{base}", "query": "volaris", "bearer_token": "t"}, TWEETS),
    "youtube": ({"base_url": "{base}", "video_id": "v", "api_key": "k"}, THREADS),
    "facebook": ({"base_url": "{base}", "page_id": "1", "access_token": "t"}, FACEBOOK),
    "replay": ({"path": "{base}"}, POST),
}


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """`value` with fields kept, dropped, retyped or replaced by hostile values, recursively."""
    action = draw(st.sampled_from(["keep", "keep", "keep", "replace"]))
    if action == "replace":
        return draw(json_values)
    if isinstance(value, dict):
        kept = {k: draw(mutated(v)) for k, v in value.items() if draw(st.integers(0, 9))}
        return kept | draw(st.dictionaries(strings, json_values, max_size=1))
    if isinstance(value, list):
        return [draw(mutated(v)) for v in value] * draw(st.integers(0, 3))
    if isinstance(value, str):
        return draw(st.sampled_from([value, value]) | strings)
    return value


def feeds(kind: str) -> st.SearchStrategy[bytes]:
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;")

    names = ("lang", "title", "link", "guid", "date", "text")
    fields = st.fixed_dictionaries({k: strings.map(escape) | strings for k in names})
    feed = fields.map(lambda f: FEED.format(**f))
    if kind == "blog":  # the page first (discovery), then the same body as the feed
        feed = st.one_of(feed, strings.map(lambda h: PAGE.format(href=escape(h))))
    return feed.map(lambda text: text.encode("utf-8", "surrogatepass"))


def bodies(kind: str) -> st.SearchStrategy[bytes]:
    template = SOURCES[kind][1]
    documented = (
        feeds(kind) if template is None else mutated(template).map(lambda v: json.dumps(v).encode())
    )
    if kind == "replay":
        documented = st.lists(documented, max_size=4).map(lambda lines: b"\n".join(lines) + b"\n")
    return st.one_of(documented, documented, st.binary(max_size=2048))


class _Kept:
    """The producer side of Kafka: keeps what it is sent (values must be JSON bytes)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def send(self, topic: str, key: str | None, value: bytes) -> None:
        json.loads(value)
        self.sent.append((topic, value))

    def flush(self, timeout_s: float | None = None) -> None:
        return

    def close(self, timeout_s: float = 0) -> None:
        return


class _Everywhere(dict[str, Any]):
    """Routes: every path answers the current body."""

    body = b""

    def get(self, key: str, default: Any = None) -> Any:
        return lambda _request: Reply(body=self.body)


@pytest.fixture(scope="module")
def http() -> Iterator[LocalHttp]:
    server = LocalHttp()
    server.routes = _Everywhere()
    yield server
    server.close()


def _source(kind: str, base: str) -> Source:
    fields = {k: v.format(base=base) for k, v in SOURCES[kind][0].items()}
    settings = TypeAdapter(AnySourceSettings).validate_python(
        {"type": kind, "id": f"s-{kind}", "timeout_s": 5, **fields}
    )
    return build_sources([settings])[0]


async def _poll(source: Source) -> Any:
    settings = IngestSettings(state_dir=None, allow_networks=["127.0.0.1/32"])
    client = SafeClient(settings)
    try:
        return await source.poll(client, {})
    finally:
        await client.aclose()


@pytest.mark.parametrize("kind", list(SOURCES))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_poll_on_any_payload_is_a_batch_or_a_clear_error(
    kind: str, data: st.DataObject, http: LocalHttp, tmp_path: Path
) -> None:
    body = data.draw(bodies(kind), label="body")
    base = http.base
    if kind == "replay":
        base = str(tmp_path / "posts.jsonl")
        Path(base).write_bytes(body)
    cast(_Everywhere, http.routes).body = body
    try:
        fetched = asyncio.run(_poll(_source(kind, base)))
    except (SourceError, FetchError):
        return  # the worker logs it as that source's error; the other sources go on
    store = CursorStore(None)
    ingest = IngestSettings(state_dir=None)
    assembler = BatchAssembler(BrandMatcher([TENANT]), store, ingest, EventTimeSettings())
    kept = _Kept()
    sink = MentionSink(cast(DurableProducer, kept), Topics("fuzz."), store, 5.0)
    batch = assembler.assemble(_source(kind, base), fetched, datetime.now(UTC))
    sink.deliver(f"s-{kind}", batch, fetched.cursor, {})
    assert len(kept.sent) == len(batch.new) + len(batch.rejected)
