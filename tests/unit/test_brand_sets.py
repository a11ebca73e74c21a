"""The brand-style sets: the held-out set is kept apart from training (no shared or
near-duplicate texts, none from the demo either). That the default model beats the lexicon
on it is tests/model/test_default_model.py."""

import re
import unicodedata

from enrich.model.datasets import BRAND_HELDOUT, BRAND_TRAIN, LABELS, read_jsonl
from veille.demo.stream import demo_weekend


def shingles(text: str, n: int = 4) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    compact = re.sub(r"[^a-z0-9 ]+", "", re.sub(r"\s+", " ", folded))
    return {compact[i : i + n] for i in range(max(len(compact) - n + 1, 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def closest_pair(texts: list[str], others: list[str]) -> tuple[float, str, str]:
    """The most alike (Jaccard of 4-character shingles, text, other) of all pairs. Only the
    pairs sharing a shingle are compared (an index of shingles finds them): every other pair
    scores 0."""
    other_shingles = [shingles(text) for text in others]
    holding: dict[str, list[int]] = {}
    for index, found in enumerate(other_shingles):
        for shingle in found:
            holding.setdefault(shingle, []).append(index)
    best = (0.0, "", "")
    for text in texts:
        own = shingles(text)
        for index in {i for shingle in own for i in holding.get(shingle, ())}:
            best = max(best, (jaccard(own, other_shingles[index]), text, others[index]))
    return best


def test_held_out_set_is_labelled_and_large_enough() -> None:
    heldout = read_jsonl(BRAND_HELDOUT)
    assert len(heldout) >= 200
    counts = {label: sum(e.label == label for e in heldout) for label in LABELS}
    assert min(counts.values()) >= 50, counts


def test_held_out_set_shares_nothing_with_training_or_the_demo() -> None:
    heldout = read_jsonl(BRAND_HELDOUT)
    others = [e.text for e in read_jsonl(BRAND_TRAIN)]
    others += sorted({post.text for post in demo_weekend()})
    closest = closest_pair([e.text for e in heldout], others)
    assert closest[0] < 0.3, closest  # no held-out text is a near-copy of a training one
