"""Every source through a local server returning the documented payload shapes, the real
broker, and the real worker: cursors, pagination, engagement, rate-limit headers, errors."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.config import VeilleConfig
from schemas.deadletter import DeadLetter
from schemas.mention import Mention
from schemas.topics import Topics
from tests.helpers import free_port, make_config, read_topic
from tests.local_http import LocalHttp, Reply, Request
from veille.runner import build_ingest, build_push, prepare
from veille.stack import EmbeddedStack

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def iso(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


def setup(
    stack: EmbeddedStack, tmp_path: Path, source: dict[str, Any], **ingest: Any
) -> VeilleConfig:
    config = make_config(
        stack.kafka_bootstrap,
        stack.elasticsearch_url,
        sources=[source],
        ingest={"state_dir": str(tmp_path), "allow_networks": ["127.0.0.1/32"], **ingest},
    )
    prepare(config)
    return config


def mentions(config: VeilleConfig, expected: int) -> list[Mention]:
    raw = read_topic(config, Topics(config.kafka.topic_prefix).raw, expected)
    return [Mention.model_validate_json(v) for v in raw]


def again(worker: Any) -> int:
    worker.scheduler.next_poll = dict.fromkeys(worker.scheduler.next_poll, 0.0)
    return int(worker.run_once())


def status(id_: int, text: str, favourites: int = 0) -> dict[str, Any]:
    return {
        "id": str(id_),
        "created_at": iso(10),
        "uri": f"https://masto.example/users/julie/statuses/{id_}",
        "url": f"https://masto.example/@julie/{id_}",
        "content": f"<p>{text}</p>",
        "spoiler_text": "",
        "language": "fr",
        "visibility": "public",
        "account": {
            "id": "1",
            "username": "julie",
            "acct": "julie@masto.example",
            "display_name": "Julie",
            "followers_count": 321,
        },
        "favourites_count": favourites,
        "reblogs_count": 2,
        "replies_count": 1,
    }


def test_mastodon_hashtag_min_id_engagement_and_updates(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    timeline = [
        status(103, "Air Volaris encore en retard"),
        status(102, "rien à voir"),
        status(101, "Air Volaris: merci"),
    ]

    def tag(request: Request) -> Reply:
        min_id = int(request.query.get("min_id", ["0"])[0])
        page = [s for s in timeline if int(s["id"]) > min_id]
        return Reply(body=json.dumps(page).encode(), headers={"Content-Type": "application/json"})

    http.route("/api/v1/timelines/tag/airvolaris", tag)
    config = setup(
        stack,
        tmp_path,
        {"id": "masto", "type": "mastodon", "instance": http.base, "hashtag": "#airvolaris"},
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 2
    timeline.insert(0, status(104, "Air Volaris, vol annulé"))
    assert again(worker) == 1
    assert http.hits("/api/v1/timelines/tag/airvolaris")[-1].query["min_id"] == ["103"]
    timeline[:] = [status(104, "Air Volaris, vol annulé", favourites=50)]
    http.route("/api/v1/timelines/tag/airvolaris", Reply(body=json.dumps(timeline).encode()))
    assert again(worker) == 1  # same post, more likes: an update of the same mention
    assert worker.stats.updates == 1
    worker.close()
    found = mentions(config, 4)
    assert len(found) == 4
    first = {m.native_id: m for m in found if m.engagement and m.engagement.likes == 0}
    m101 = first["101"]
    assert m101.url == "https://masto.example/@julie/101"
    assert m101.author.handle == "@julie@masto.example" and m101.author.followers == 321
    assert m101.engagement is not None and m101.engagement.reposts == 2
    assert m101.text == "Air Volaris: merci" and m101.lang == "fr"
    [update] = [m for m in found if m.engagement and m.engagement.likes == 50]
    original = first["104"]
    assert update.id == original.id and update.engagement is not None
    assert original.engagement is not None
    assert update.engagement.observed_at > original.engagement.observed_at


def test_recent_posts_are_reobserved_on_schedule_as_updates(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    statuses = {"201": status(201, "Air Volaris en panne", favourites=1)}
    http.route("/api/v1/timelines/tag/v", Reply(body=json.dumps(list(statuses.values())).encode()))
    http.route("/api/v1/statuses/201", lambda r: Reply(body=json.dumps(statuses["201"]).encode()))
    config = setup(
        stack, tmp_path, {"id": "masto", "type": "mastodon", "instance": http.base, "hashtag": "v"}
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1
    assert worker.reobserve_once() == 0  # nothing changed
    statuses["201"] = status(201, "Air Volaris en panne", favourites=80)
    assert worker.reobserve_once() == 1  # the timeline no longer lists it: looked up by id
    assert worker.reobserve_once() == 0  # the new count was remembered
    worker.close()
    found = mentions(config, 2)
    assert len({m.id for m in found}) == 1
    assert sorted(m.engagement.likes for m in found if m.engagement) == [1, 80]


def test_mastodon_unexpected_shape_is_a_clear_error(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    http.route("/api/v1/timelines/tag/x", Reply(body=b'{"error": "This action is not allowed"}'))
    config = setup(
        stack, tmp_path, {"id": "masto", "type": "mastodon", "instance": http.base, "hashtag": "x"}
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 0
    assert "unexpected JSON shape" in (worker.stats.health["masto"].last_error or "")
    worker.close()


def post_view(rkey: str, text: str, minutes_ago: float, likes: int = 0) -> dict[str, Any]:
    return {
        "uri": f"at://did:plc:abc/app.bsky.feed.post/{rkey}",
        "cid": "bafy" + rkey,
        "author": {"did": "did:plc:abc", "handle": "julie.bsky.social", "displayName": "Julie"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(minutes_ago),
            "langs": ["fr"],
        },
        "likeCount": likes,
        "repostCount": 1,
        "replyCount": 3,
        "indexedAt": iso(minutes_ago),
    }


def test_bluesky_search_posts_with_cursor(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    pages = {
        None: {"cursor": "p2", "posts": [post_view("c", "Air Volaris!", 1, likes=9)]},
        "p2": {"posts": [post_view("b", "air volaris bof", 5)]},
    }

    def search(request: Request) -> Reply:
        cursor = request.query.get("cursor", [None])[0]
        return Reply(body=json.dumps(pages[cursor]).encode())

    http.route("/xrpc/app.bsky.feed.searchPosts", search)
    config = setup(
        stack,
        tmp_path,
        {"id": "bsky", "type": "bluesky", "appview": http.base, "query": "air volaris"},
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1  # first poll: the newest page only
    pages[None] = {
        "cursor": "p2",
        "posts": [
            post_view("d", "Air Volaris encore", 0.5),
            post_view("c", "Air Volaris!", 1, likes=9),
        ],
    }
    assert again(worker) == 1  # d; c is older than the cursor
    request = http.hits("/xrpc/app.bsky.feed.searchPosts")[-1]
    assert request.query["sort"] == ["latest"] and "since" in request.query
    worker.close()
    found = {m.native_id.rsplit("/", 1)[-1]: m for m in mentions(config, 2)}
    assert set(found) == {"c", "d"}
    assert found["c"].url == "https://bsky.app/profile/julie.bsky.social/post/c"
    assert found["c"].engagement is not None and found["c"].engagement.likes == 9


def listing(*posts: tuple[str, str, float]) -> bytes:
    children = [
        {
            "kind": "t3",
            "data": {
                "id": pid,
                "name": f"t3_{pid}",
                "title": title,
                "selftext": "",
                "author": "marc",
                "permalink": f"/r/france/comments/{pid}/x/",
                "created_utc": created,
                "ups": 12,
                "num_comments": 4,
                "subreddit": "france",
            },
        }
        for pid, title, created in posts
    ]
    return json.dumps(
        {"kind": "Listing", "data": {"after": None, "before": None, "children": children}}
    ).encode()


def test_reddit_listing_user_agent_and_rate_limit(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    http.route(
        "/r/france/new.json",
        Reply(
            body=listing(
                ("b2", "Air Volaris annule tout", time.time() - 60),
                ("b1", "Météo", time.time() - 120),
            ),
            headers={
                "X-Ratelimit-Remaining": "0.0",
                "X-Ratelimit-Used": "100",
                "X-Ratelimit-Reset": "420",
            },
        ),
    )
    ua = "linux:veille:0.1 (by /u/veille-test)"
    config = setup(
        stack,
        tmp_path,
        {
            "id": "rfrance",
            "type": "reddit",
            "base_url": http.base,
            "subreddit": "france",
            "user_agent": ua,
        },
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1
    request = http.hits("/r/france/new.json")[-1]
    assert request.headers["User-Agent"] == ua
    assert worker.scheduler.next_poll["rfrance"] - time.monotonic() > 400  # waits for the reset
    worker.scheduler.next_poll["rfrance"] = 0.0
    http.route("/r/france/new.json", Reply(body=listing()))
    worker.run_once()
    assert http.hits("/r/france/new.json")[-1].query["before"] == ["t3_b2"]
    worker.close()
    [found] = mentions(config, 1)
    assert found.url == "https://www.reddit.com/r/france/comments/b2/x/"
    assert found.engagement is not None and found.engagement.replies == 4


def recent_search(tweet_id: str, text: str, **meta: str) -> dict[str, Any]:
    """An X API v2 recent-search page: one tweet by author 42, with `includes.users`."""
    return {
        "data": [
            {
                "id": tweet_id, "text": text, "created_at": iso(3), "lang": "fr",
                "author_id": "42",
                "public_metrics": {"retweet_count": 5, "reply_count": 2, "like_count": 30,
                                   "quote_count": 1},
            }
        ],
        "includes": {"users": [{"id": "42", "name": "Sam", "username": "sam_fr",
                                "public_metrics": {"followers_count": 1200}}]},
        "meta": {"newest_id": tweet_id, **meta, "result_count": 1},
    }  # fmt: skip


def test_x_recent_search_since_id_and_includes(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = recent_search(
        "1790000000000000002", "@AirVolaris vol annulé, aucun remboursement",
        oldest_id="1790000000000000002",
    )  # fmt: skip
    http.route("/2/tweets/search/recent", Reply(body=json.dumps(body).encode()))
    config = setup(
        stack,
        tmp_path,
        {
            "id": "x",
            "type": "x",
            "base_url": http.base,
            "query": "air volaris -is:retweet",
            "bearer_token": "s3cret",
        },
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 0  # "@AirVolaris" is a handle: not the query "air volaris"
    request = http.hits("/2/tweets/search/recent")[-1]
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.query["expansions"] == ["author_id"]
    http.route(
        "/2/tweets/search/recent",
        Reply(
            body=json.dumps({"meta": {"result_count": 0}}).encode(),
            headers={
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(time.time()) + 900),
            },
        ),
    )
    again(worker)
    assert http.hits("/2/tweets/search/recent")[-1].query["since_id"] == ["1790000000000000002"]
    assert worker.scheduler.next_poll["x"] - time.monotonic() > 800
    worker.close()


def test_x_mentions_carry_followers_and_engagement(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    body = recent_search("7", "Air Volaris &amp; 3 h d'attente")
    http.route("/2/tweets/search/recent", Reply(body=json.dumps(body).encode()))
    config = setup(
        stack,
        tmp_path,
        {
            "id": "x",
            "type": "x",
            "base_url": http.base,
            "query": "air volaris",
            "bearer_token": "t",
        },
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1
    worker.close()
    [found] = mentions(config, 1)
    assert found.url == "https://x.com/sam_fr/status/7" and found.author.followers == 1200
    assert found.text == "Air Volaris & 3 h d'attente"
    assert found.engagement is not None
    assert (found.engagement.likes, found.engagement.reposts, found.engagement.replies) == (
        30,
        6,
        2,
    )


def thread(cid: str, text: str, minutes_ago: float) -> dict[str, Any]:
    return {
        "kind": "youtube#commentThread",
        "id": cid,
        "snippet": {
            "videoId": "vid1",
            "totalReplyCount": 1,
            "canReply": True,
            "isPublic": True,
            "topLevelComment": {
                "kind": "youtube#comment",
                "id": cid,
                "snippet": {
                    "textOriginal": text,
                    "textDisplay": text,
                    "authorDisplayName": "Inès",
                    "authorChannelId": {"value": "UC123"},
                    "likeCount": 7,
                    "publishedAt": iso(minutes_ago),
                    "updatedAt": iso(minutes_ago),
                },
            },
        },
    }


def test_youtube_comment_threads_pages(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    def threads(request: Request) -> Reply:
        if request.query.get("pageToken") == ["P2"]:
            return Reply(body=json.dumps({"items": [thread("c1", "Air Volaris bof", 30)]}).encode())
        return Reply(
            body=json.dumps(
                {
                    "kind": "youtube#commentThreadListResponse",
                    "nextPageToken": "P2",
                    "items": [thread("c2", "Air Volaris au top", 5)],
                }
            ).encode()
        )

    http.route("/youtube/v3/commentThreads", threads)
    config = setup(
        stack,
        tmp_path,
        {"id": "yt", "type": "youtube", "base_url": http.base, "video_id": "vid1", "api_key": "k"},
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1  # first poll: newest page
    assert again(worker) == 0  # c2 seen; c1 older than the cursor: no more pages asked
    assert http.hits("/youtube/v3/commentThreads")[-1].query["videoId"] == ["vid1"]
    liked = thread("c2", "Air Volaris au top", 5)
    liked["snippet"]["topLevelComment"]["snippet"]["likeCount"] = 70
    http.route(
        "/youtube/v3/commentThreads",
        lambda r: Reply(
            body=json.dumps({"items": [liked] if r.query.get("id") == ["c2"] else []}).encode()
        ),
    )
    assert worker.reobserve_once() == 1  # looked up by id: 7 → 70 likes
    worker.close()
    found = mentions(config, 2)
    assert {m.url for m in found} == {"https://www.youtube.com/watch?v=vid1&lc=c2"}
    assert sorted(m.engagement.likes for m in found if m.engagement) == [7, 70]


def test_facebook_page_comments_and_graph_errors(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    page2 = f"{http.base}/v19.0/123/posts?after=AB&access_token=tok"
    first = {
        "data": [
            {
                "id": "123_1",
                "permalink_url": "https://www.facebook.com/123/posts/1",
                "comments": {
                    "data": [
                        {
                            "id": "1_9",
                            "message": "Air Volaris, remboursez-moi",
                            "created_time": "2026-11-21T20:00:00+0000",
                            "from": {"id": "77", "name": "Julie"},
                            "like_count": 3,
                            "comment_count": 0,
                        }
                    ],
                    "paging": {"cursors": {"after": "x"}},
                },
            }
        ],
        "paging": {"cursors": {"before": "AA", "after": "AB"}, "next": page2},
    }
    second = {
        "data": [
            {
                "id": "123_2",
                "comments": {
                    "data": [
                        {
                            "id": "2_1",
                            "message": "Air Volaris merci",
                            "created_time": "2026-11-21T21:00:00+0000",
                            "like_count": 0,
                            "comment_count": 1,
                            "permalink_url": "https://www.facebook.com/123/posts/2?comment_id=2_1",
                        }
                    ]
                },
            }
        ]
    }
    http.route(
        "/v19.0/123/posts",
        lambda r: Reply(body=json.dumps(second if r.query.get("after") else first).encode()),
    )
    config = setup(
        stack,
        tmp_path,
        {
            "id": "fb",
            "type": "facebook",
            "base_url": http.base,
            "page_id": "123",
            "access_token": "tok",
        },
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 2
    http.route(
        "/v19.0/123/posts",
        Reply(
            400,
            json.dumps(
                {
                    "error": {
                        "message": "Error validating access token",
                        "type": "OAuthException",
                        "code": 190,
                    }
                }
            ).encode(),
        ),
    )
    assert again(worker) == 0
    assert "HTTP 400" in (worker.stats.health["fb"].last_error or "")
    worker.close()
    found = {m.native_id: m for m in mentions(config, 2)}
    assert found["1_9"].url == "https://www.facebook.com/123/posts/1?comment_id=1_9"
    assert found["1_9"].author.name == "Julie" and found["2_1"].engagement is not None


def test_blog_autodiscovery_and_full_text_for_matched_entries_only(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    http.route(
        "/",
        Reply(
            body=b'<html><head><link rel="alternate" type="application/rss+xml" '
            b'href="/feed.xml"></head><body>Blog</body></html>'
        ),
    )
    rss = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>'
        f"<item><guid>1</guid><link>{http.base}/post-1</link><title>Air Volaris</title>"
        f"<description>Le début...</description></item>"
        f"<item><guid>2</guid><link>{http.base}/post-2</link><title>Cuisine</title>"
        f"<description>Une recette</description></item></channel></rss>"
    )
    http.route("/feed.xml", Reply(body=rss.encode(), headers={"ETag": '"b1"'}))
    http.route(
        "/post-1",
        Reply(
            body=b"<html><body><nav>Menu</nav><article><h1>Air Volaris</h1>"
            b"<p>Le vol AF1 a \xc3\xa9t\xc3\xa9 annul\xc3\xa9 sans "
            b"explication.</p><script>track()</script></article>"
            b"<footer>c</footer></body></html>"
        ),
    )
    config = setup(stack, tmp_path, {"id": "blog", "type": "blog", "url": f"{http.base}/"})
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1
    assert not http.hits("/post-2")  # not matched: never downloaded
    assert again(worker) == 0
    assert len(http.hits("/")) == 1  # the discovered feed is remembered
    assert http.hits("/feed.xml")[-1].headers.get("If-None-Match") == '"b1"'
    worker.close()
    [found] = mentions(config, 1)
    assert found.text == "Air Volaris Le vol AF1 a été annulé sans explication."


def test_replay_resumes_at_its_offset_across_restarts(stack: EmbeddedStack, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"

    def line(pid: str, text: str) -> str:
        return (
            json.dumps(
                {
                    "id": pid,
                    "text": text,
                    "published_at": iso(1),
                    "url": f"https://forum.example/t/{pid}",
                    "author": {"handle": "@a", "followers": 10},
                }
            )
            + "\n"
        )

    path.write_text(line("1", "Air Volaris retard") + "not json\n" + line("2", "Lumen"))
    config = setup(stack, tmp_path / "state", {"id": "file", "type": "replay", "path": str(path)})
    first = build_ingest(config, threading.Event())
    assert first.run_once() == 2
    first.close()
    with path.open("a") as file:
        file.write(line("3", "Air Volaris encore") + '{"id": "4", "text": "Air Vol')  # partial
    second = build_ingest(config, threading.Event())
    assert second.run_once() == 1  # 3 only: 1 and 2 were behind the offset; 4 is incomplete
    second.close()
    assert sorted(m.native_id for m in mentions(config, 3)) == ["1", "2", "3"]
    dlq = read_topic(config, Topics(config.kafka.topic_prefix).dlq, 1)
    [letter] = [DeadLetter.model_validate_json(v) for v in dlq]
    assert letter.original_value() == b"not json\n" and "file: line at byte" in letter.error


def test_push_endpoint_tokens_validation_and_durable_202(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    port = free_port()
    config = make_config(
        stack.kafka_bootstrap,
        stack.elasticsearch_url,
        ingest={
            "state_dir": str(tmp_path),
            "push": {"port": port, "tokens": {"agence-horizon": "tok-h", "maison-lumen": "tok-l"}},
        },
    )
    prepare(config)
    stop = threading.Event()
    service = build_push(config, stop)
    runner = threading.Thread(target=service.run, daemon=True)
    runner.start()
    url = f"http://127.0.0.1:{port}/ingest/agence-horizon"
    post = {
        "id": "p1",
        "text": "Air Volaris et Maison Lumen",
        "published_at": iso(2),
        "author": {"handle": "@agence", "followers": 5},
        "engagement": {"likes": 4, "reposts": 0, "replies": 1},
    }
    try:
        with httpx.Client(timeout=10) as client:
            assert client.post(url, json=post).status_code == 401
            assert (
                client.post(url, json=post, headers={"Authorization": "Bearer nope"}).status_code
                == 401
            )
            auth = {"Authorization": "Bearer tok-h"}
            bad = client.post(url, json=[{"id": "p2"}], headers=auth)
            assert bad.status_code == 400 and "text" in json.dumps(bad.json()["problems"])
            assert (
                client.post(
                    f"http://127.0.0.1:{port}/ingest/nobody", json=post, headers=auth
                ).status_code
                == 401
            )  # an unknown tenant is not told apart from a wrong token
            ok = client.post(url, json=[post, post | {"id": "p3", "text": "rien"}], headers=auth)
            assert ok.status_code == 202 and ok.json() == {"accepted": 2, "mentions": 1}
            again_ = client.post(url, json=post, headers=auth)
            assert again_.json() == {"accepted": 1, "mentions": 0}  # same post: absorbed
            lumen = client.post(
                f"http://127.0.0.1:{port}/ingest/maison-lumen",
                json=post | {"text": "Maison Lumen, superbe"},
                headers={"Authorization": "Bearer tok-l"},
            )
            assert lumen.json() == {"accepted": 1, "mentions": 1}  # its own post "p1"
            assert (
                client.post(url, json=post, headers={"Authorization": "Bearer tok-l"}).status_code
                == 401
            )  # one tenant's token is not another's
    finally:
        stop.set()
        runner.join(10)
    produced = mentions(config, 2)
    assert len(produced) == 2  # the first post, mentioning Lumen too, stayed with its tenant
    found = {m.tenant: m for m in produced}
    assert found["maison-lumen"].brands == ["lumen"]
    found = found["agence-horizon"]
    assert found.tenant == "agence-horizon" and found.brands == ["air-volaris"]  # not Lumen's
    assert found.source_kind == "push" and found.source == "push-agence-horizon"
    assert found.author.followers == 5


def test_mastodon_account_statuses_and_authenticated_search(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    http.route(
        "/api/v1/accounts/1091/statuses",
        Reply(body=json.dumps([status(301, "Air Volaris répond enfin")]).encode()),
    )
    http.route(
        "/api/v2/search",
        Reply(
            body=json.dumps(
                {"accounts": [], "hashtags": [], "statuses": [status(302, "air volaris, bof")]}
            ).encode()
        ),
    )
    config = make_config(
        stack.kafka_bootstrap, stack.elasticsearch_url,
        ingest={"state_dir": str(tmp_path), "allow_networks": ["127.0.0.1/32"]},
        sources=[{"id": "acct", "type": "mastodon", "instance": http.base, "account_id": "1091"},
                 {"id": "search", "type": "mastodon", "instance": http.base,
                  "search": "air volaris", "token": "user-token"}],
    )  # fmt: skip
    prepare(config)
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 2
    worker.close()
    [search] = http.hits("/api/v2/search")
    assert search.query["q"] == ["air volaris"] and search.query["type"] == ["statuses"]
    assert search.headers["Authorization"] == "Bearer user-token"
    assert sorted(m.native_id for m in mentions(config, 2)) == ["301", "302"]


def test_reddit_search_listing(stack: EmbeddedStack, http: LocalHttp, tmp_path: Path) -> None:
    http.route("/search.json", Reply(body=listing(("s1", "Air Volaris: retard", time.time()))))
    config = setup(
        stack,
        tmp_path,
        {
            "id": "rs",
            "type": "reddit",
            "base_url": http.base,
            "search": '"air volaris"',
            "user_agent": "linux:veille:0.1 (by /u/veille-test)",
        },
    )
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1
    worker.close()
    [request] = http.hits("/search.json")
    assert request.query["q"] == ['"air volaris"'] and request.query["sort"] == ["new"]


def test_rss_last_modified_is_sent_back(
    stack: EmbeddedStack, http: LocalHttp, tmp_path: Path
) -> None:
    stamp = "Sun, 22 Nov 2026 08:00:00 GMT"

    def feed(request: Request) -> Reply:
        if request.headers.get("If-Modified-Since") == stamp:
            return Reply(304)
        body = (
            b'<rss version="2.0"><channel><title>t</title><item><guid>1</guid>'
            b"<title>Air Volaris</title></item></channel></rss>"
        )
        return Reply(body=body, headers={"Last-Modified": stamp})

    http.route("/feed", feed)
    config = setup(stack, tmp_path, {"id": "lm", "type": "rss", "url": f"{http.base}/feed"})
    worker = build_ingest(config, threading.Event())
    assert worker.run_once() == 1
    assert again(worker) == 0
    assert http.hits("/feed")[-1].headers.get("If-Modified-Since") == stamp
    worker.close()
