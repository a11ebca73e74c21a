"""Reply matching on the documented Reddit and YouTube payloads of the corpus
(tests/fixtures/payloads/): each item read as the source reads it (no HTTP here; the corpus
test serves the same bodies), made a mention, then history/response.py decides which brand
reply answered the customer and when."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from history.response import waiting_posts
from ingest.matcher import Match
from ingest.normalize import to_mention
from ingest.sources.base import FeedItem
from ingest.sources.reddit import Listing, RedditListing, _parse
from ingest.sources.youtube import CommentThreads, Thread, YouTubeComments
from schemas.config import RedditSourceSettings, ResponseSettings, YouTubeSourceSettings
from schemas.enriched import EnrichedMention, Intent
from tests.helpers import enriched

CORPUS = Path(__file__).parents[1] / "fixtures" / "payloads"
ACCOUNTS = {"reddit": ["u/AirVolaris_Officiel"], "youtube": ["UCvolaris"]}
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _body(name: str) -> Any:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def _mentions(items: list[FeedItem], kind: str) -> list[EnrichedMention]:
    match = Match("agence-horizon", ("volaris",), ("q",))
    out = []
    for item in items:
        doc = enriched(to_mention(item, "s", kind, match, NOW), -0.4)
        intent = Intent(label="service_request", probabilities={"service_request": 1.0},
                        model="test", model_version="0")  # fmt: skip
        out.append(doc.model_copy(update={"intent": intent}))
    return out


def _answered(mentions: list[EnrichedMention]) -> dict[str, tuple[str | None, timedelta | None]]:
    waiting = waiting_posts(mentions, ACCOUNTS, ResponseSettings(), ZoneInfo("Europe/Paris"))
    return {
        w.post.native_id: (w.first_reply.native_id if w.first_reply else None, w.reply_time)
        for w in waiting
    }


def test_a_brand_comment_answers_the_reddit_comment_it_replies_to() -> None:
    settings = RedditSourceSettings(id="r", subreddit="france", comments=True,
                                    user_agent="linux:veille-test:1.0 (by /u/veille)")  # fmt: skip
    source = RedditListing(settings)
    listing = Listing.model_validate(_body("reddit/subreddit_comments_replies.json"))
    read, rejected = _parse(listing, "u")
    assert len(rejected) == 1  # the comment without parent_id
    answered = _answered(_mentions([source._item(r) for r in read], "reddit"))
    assert answered == {
        "t1_kx01": ("t1_kx03", timedelta(minutes=50)),  # the brand replied to it
        "t1_kx02": (None, None),  # a sibling in the same post, not answered
    }


def test_a_brand_reply_in_a_youtube_thread_answers_its_top_level_comment() -> None:
    source = YouTubeComments(YouTubeSourceSettings(id="y", video_id="vAV312", api_key="k"))
    page = CommentThreads.model_validate(_body("youtube/video_threads_replies.json"))
    items = []
    for raw in page.items:
        thread = Thread.model_validate(raw)
        comments, bad = thread.comments("u")
        assert len(bad) == (1 if thread.id == "UgxLost1" else 0)  # the reply without a date
        items.extend(source._item(thread, c) for c in comments)
    answered = _answered(_mentions(items, "youtube"))
    assert answered["UgxLost1"] == ("UgxLost1.9zA2", timedelta(minutes=65))
    assert answered["UgxLost1.9zA1"] == (None, None)  # a sibling reply: the brand answered the top
    assert answered["UgxSolo2"] == (None, None)
