"""Regressions for the failures the source fuzzing found (tests/integration/test_fuzz_sources.py),
each through the same real paths: a poll is a batch or a clear error, never another one."""

import asyncio
import json

import pytest
from pydantic import ValidationError

from ingest.extract import feed_links
from ingest.http import FetchError, SafeClient
from ingest.sources.base import SourceError
from ingest.sources.dead_letters import once
from ingest.sources.facebook import FacebookPageComments
from ingest.sources.push import IncomingPost
from ingest.sources.rss import parse_feed
from schemas.config import FacebookSourceSettings, IngestSettings
from tests.local_http import LocalHttp, Reply


def test_a_character_reference_beyond_unicode_is_a_source_error() -> None:
    feed = b"<rss><channel><item><guid>1</guid><title>&#x110000;</title></item></channel></rss>"
    with pytest.raises(SourceError, match="not a readable feed: ValueError"):
        parse_feed("s", feed, None)  # was feedparser's ValueError (chr() arg not in range)


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://127.0.0.1/a\x1fb", "http://127.0.0.1:99999/"]
)
def test_an_unusable_url_is_a_fetch_error(url: str) -> None:
    async def get() -> None:
        client = SafeClient(IngestSettings(state_dir=None, allow_networks=["127.0.0.1/32"]))
        try:
            await client.get(url, timeout_s=5, max_bytes=1024)
        finally:
            await client.aclose()

    with pytest.raises(FetchError, match="invalid URL"):  # was ValueError / httpx.InvalidURL
        asyncio.run(get())


def test_an_advertised_feed_that_is_not_a_url_is_left_out() -> None:
    page = (
        '<link rel="alternate" type="application/rss+xml" href="http://[::1">'
        '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
    )
    assert feed_links(page, "https://blog.example/") == ["https://blog.example/atom.xml"]


def test_a_facebook_comment_without_its_fields_is_a_dead_letter(http: LocalHttp) -> None:
    comments = [
        {"message": "Air Volaris"},
        {"id": "1_9", "message": "ok", "created_time": "2026-11-21T20:00:00+0000"},
    ]
    body = {"data": [{"id": "1_1", "comments": {"data": comments}}]}
    http.route("/v19.0/1/posts", Reply(body=json.dumps(body).encode()))
    settings = FacebookSourceSettings(id="fb", base_url=http.base, page_id="1", access_token="t")

    async def poll() -> object:
        client = SafeClient(IngestSettings(state_dir=None, allow_networks=["127.0.0.1/32"]))
        try:
            return await FacebookPageComments(settings).poll(client, {})
        finally:
            await client.aclose()

    fetched = asyncio.run(poll())  # was a pydantic ValidationError out of poll
    assert [i.native_id for i in fetched.items] == ["1_9"]  # type: ignore[attr-defined]
    [(reason, raw)] = fetched.rejected  # type: ignore[attr-defined]
    assert reason == "unexpected item shape from the comments of post 1_1: id: Field required"
    assert json.loads(raw) == comments[0]


def test_a_dead_letter_whose_id_is_a_lone_surrogate_is_remembered_once() -> None:
    raw = b'{"id": "\\ud800 volaris"}'  # JSON may escape a lone surrogate; Python decodes it
    fresh, cursor = once({}, [("bad shape", raw)])  # was UnicodeEncodeError out of poll
    assert fresh == [("bad shape", raw)]
    assert once(cursor, [("bad shape", raw)])[0] == []  # the next poll does not repeat it


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_date_that_utc_cannot_hold_is_a_validation_error(when: str) -> None:
    with pytest.raises(ValidationError, match="outside the dates UTC can hold"):
        IncomingPost.model_validate({"id": "0", "text": "0", "published_at": when})
    # was OverflowError out of the validator: the push API answered 500 (schemathesis)
