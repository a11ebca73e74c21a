"""Source health with an injected clock; Retry-After parsing; article and feed extraction;
canonical URLs."""

from datetime import UTC, datetime, timedelta

from ingest.extract import article_text, feed_links
from ingest.health import SourceHealth
from ingest.http import retry_after_s
from ingest.text import canonical_url

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def health(silent_after_s: float | None = None) -> SourceHealth:
    return SourceHealth("feed", "rss", ["t"], 3, silent_after_s, started_at=T0)


def test_failing_source_goes_silent_once_then_recovers() -> None:
    h = health()
    events = [h.failed("HTTP 500", T0 + timedelta(minutes=i)) for i in range(5)]
    assert [e.event if e else None for e in events] == [None, None, "source_silent", None, None]
    silent = events[2]
    assert silent is not None and silent.reason == "failing" and silent.since == T0
    assert silent.consecutive_errors == 3 and silent.tenants == ["t"]
    recovered = h.succeeded(2, T0 + timedelta(minutes=10))
    assert recovered is not None and recovered.event == "source_recovered"
    assert recovered.since == T0  # the same episode
    assert h.consecutive_errors == 0 and h.succeeded(0, T0 + timedelta(minutes=11)) is None


def test_source_without_new_items_goes_silent() -> None:
    h = health(silent_after_s=3600)
    assert h.succeeded(5, T0) is None
    assert h.succeeded(0, T0 + timedelta(minutes=59)) is None
    quiet = h.succeeded(0, T0 + timedelta(minutes=61))
    assert quiet is not None and quiet.reason == "no_items" and quiet.last_item_at == T0
    assert h.succeeded(0, T0 + timedelta(minutes=90)) is None  # once per episode
    back = h.succeeded(1, T0 + timedelta(minutes=95))
    assert back is not None and back.event == "source_recovered"


def test_items_per_hour_is_a_sliding_hour() -> None:
    h = health()
    h.succeeded(10, T0)
    h.succeeded(5, T0 + timedelta(minutes=30))
    assert h.items_per_hour(T0 + timedelta(minutes=45)) == 15
    assert h.items_per_hour(T0 + timedelta(minutes=75)) == 5


def test_retry_after_seconds_and_http_dates() -> None:
    assert retry_after_s("120") == 120
    assert retry_after_s("Sun, 22 Nov 2026 08:10:00 GMT", now=T0.timestamp()) == 600
    assert retry_after_s("soon") is None and retry_after_s(None) is None


def test_article_text_keeps_the_article_only() -> None:
    page = ("<html><body><header>Logo</header><nav>Menu</nav><article><h1>Titre</h1>"
            "<p>Le <b>vol</b> est annulé.</p><script>x()</script><aside>Pub</aside></article>"
            "<footer>©</footer></body></html>")  # fmt: skip
    assert article_text(page) == "Titre Le vol est annulé."
    assert article_text("<body><p>Seul</p><style>p{}</style></body>") == "Seul"


def test_feed_links_are_absolute_rss_and_atom_first() -> None:
    page = ('<link rel="alternate" type="application/feed+json" href="/feed.json">'
            '<link rel="stylesheet" href="/s.css">'
            '<link rel="alternate" type="application/atom+xml" href="atom.xml">')  # fmt: skip
    assert feed_links(page, "https://blog.example/a/") == [
        "https://blog.example/a/atom.xml",
        "https://blog.example/feed.json",
    ]


def test_canonical_url_drops_default_ports_and_other_schemes() -> None:
    assert canonical_url("https://Ex.com:443/p?utm_medium=x&a=1") == "https://ex.com/p?a=1"
    assert canonical_url("http://ex.com") == "http://ex.com/"
    assert canonical_url("javascript:alert(1)") is None
