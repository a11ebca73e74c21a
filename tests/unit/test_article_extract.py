"""Blog article text (ingest/extract.py, trafilatura) on real news pages with the article text
a person judged to be theirs (tests/fixtures/articles/): the article is kept and the page's
navigation, share bars and related links mostly are not."""

import pytest

from bench.bench_extract import pages, scores
from ingest.extract import article_text

PAGES = pages()


def test_the_real_pages_are_there() -> None:
    assert len(PAGES) >= 8


@pytest.mark.parametrize(("name", "page", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_a_real_article_page_keeps_its_article(name: str, page: bytes, expected: str) -> None:
    recall, _ = scores(article_text(page), expected)
    assert recall >= 0.95, (name, recall)


def test_the_boilerplate_of_a_real_page_is_dropped() -> None:
    # cnn_article: the former stdlib extractor kept 45 % of its output as boilerplate (menus,
    # share links, "more from CNN"), as bench_extract prints.
    [(_, page, expected)] = [p for p in PAGES if p[0] == "cnn_article"]
    text = article_text(page)
    assert scores(text, expected)[1] <= 0.05
    for menu in ("Set edition preference", "StumbleUpon"):  # the page's edition and share bars
        assert menu not in expected and menu not in text
