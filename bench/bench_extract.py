"""Blog article text: trafilatura (ingest/extract.py) against the stdlib extractor it replaced
(bench/extract_stdlib.py), side by side on the same real article pages.

Pages: tests/fixtures/articles/ — real news pages with the article text a person judged to be
the page's content, from newspaper4k's test data (origin and licence in the README there; not
trafilatura's own evaluation set, so the comparison does not favour it). Tokens: lower-cased
`\\w+` runs. For each page and extractor:
- text recall: the share of the expected text's tokens the output kept (multiset overlap);
- boilerplate kept: the share of the output's tokens that are not in the expected text.
Printed per page, then the mean over pages, and the time per page (same run, same machine:
compare the ratio, not the figures).
"""

import gzip
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.extract_stdlib import article_text as stdlib_text
from ingest.extract import article_text

PAGES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "articles"
_TOKEN = re.compile(r"\w+")


def pages() -> list[tuple[str, bytes, str]]:
    """(name, the page's bytes, the expected article text) for every page there."""
    found = []
    for html in sorted(PAGES.glob("*.html.gz")):
        name = html.name.removesuffix(".html.gz")
        expected = (PAGES / f"{name}.txt").read_text(encoding="utf-8")
        found.append((name, gzip.decompress(html.read_bytes()), expected))
    return found


def scores(output: str, expected: str) -> tuple[float, float]:
    """(text recall, boilerplate kept) of `output` against `expected`."""
    got = Counter(_TOKEN.findall(output.lower()))
    want = Counter(_TOKEN.findall(expected.lower()))
    kept = sum((got & want).values())
    return kept / max(1, want.total()), (got.total() - kept) / max(1, got.total())


def _run(extract: Callable[[bytes], str], page: bytes) -> tuple[str, float]:
    started = time.perf_counter()
    text = extract(page)
    return text, time.perf_counter() - started


def main() -> int:
    found = pages()
    if not found:
        print(f"no article pages under {PAGES}")
        return 1
    extractors: dict[str, Callable[[bytes], str]] = {
        "stdlib (old)": lambda page: stdlib_text(page.decode("utf-8", "replace")),
        "trafilatura": article_text,
    }
    totals = {name: [0.0, 0.0, 0.0] for name in extractors}
    print(f"{'page':<18} " + "  ".join(f"{n:>26}" for n in extractors))
    print(f"{'':<18} " + "  ".join(f"{'recall  boilerplate  ms':>26}" for _ in extractors))
    for page_name, page, expected in found:
        cells = []
        for name, extract in extractors.items():
            text, seconds = _run(extract, page)
            recall, boilerplate = scores(text, expected)
            for i, value in enumerate((recall, boilerplate, seconds)):
                totals[name][i] += value
            cells.append(f"{recall:>6.3f}  {boilerplate:>11.3f}  {seconds * 1000:>4.0f}")
        print(f"{page_name:<18} " + "  ".join(f"{c:>26}" for c in cells))
    n = len(found)
    print(f"{'mean':<18} " + "  ".join(
        f"{t[0] / n:>6.3f}  {t[1] / n:>11.3f}  {t[2] / n * 1000:>4.0f}" for t in totals.values()
    ))  # fmt: skip
    old, new = totals["stdlib (old)"], totals["trafilatura"]
    print(
        f"{n} pages: recall {old[0] / n:.3f} → {new[0] / n:.3f}, boilerplate kept "
        f"{old[1] / n:.3f} → {new[1] / n:.3f}, time per page ×{new[2] / max(old[2], 1e-9):.1f}"
    )
    return 0
