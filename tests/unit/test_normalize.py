"""Normalisation: visible text out of HTML, canonical URLs."""

from ingest.text import canonical_url, clean_text


def test_clean_text_drops_scripts_and_tags_and_unescapes() -> None:
    html = "<p>Vol <b>annulé</b>&nbsp;&amp; pas de remboursement</p><script>steal()</script>"
    assert clean_text(html) == "Vol annulé & pas de remboursement"


def test_clean_text_keeps_words_apart_across_blocks() -> None:
    assert clean_text("<p>un</p><p>deux</p><br>trois") == "un deux trois"


def test_plain_text_is_only_whitespace_normalised() -> None:
    assert clean_text("  a <3 b\n\n c ") == "a <3 b c"


def test_canonical_url_strips_tracking_and_fragment() -> None:
    url = "HTTPS://Blog.Example/Post?id=7&utm_source=x&fbclid=abc#comments"
    assert canonical_url(url) == "https://blog.example/Post?id=7"
    assert canonical_url(None) is None


def test_normalize_imports_on_its_own() -> None:
    """`python -c "import ingest.normalize"` used to fail: rss imported normalize, which
    imported ingest.sources (a cycle). A fresh interpreter is the only honest check."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import ingest.normalize"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
