"""The intent sets: balanced, the held-out set kept apart from every text the encoder or a
head was trained on (and from the demo) by the same near-copy test as the sentiment sets,
and the shipped intent head beating the keyword rules on it (tests/model/test_default_model.py)."""

from collections import Counter

import pytest

from enrich.model.datasets import (
    BRAND_TRAIN,
    INTENT_HELDOUT,
    INTENT_LABELS,
    INTENT_TRAIN,
    read_intent_jsonl,
    read_jsonl,
)
from enrich.model.intent_rules import keyword_intent
from tests.unit.test_brand_sets import closest_pair
from veille.demo.stream import demo_weekend


def test_sets_are_large_and_balanced() -> None:
    train = Counter(e.intent for e in read_intent_jsonl(INTENT_TRAIN))
    heldout = Counter(e.intent for e in read_intent_jsonl(INTENT_HELDOUT))
    assert set(train) == set(heldout) == set(INTENT_LABELS)
    assert sum(train.values()) >= 300 and min(train.values()) >= 50, train
    assert sum(heldout.values()) >= 150 and min(heldout.values()) >= 25, heldout


def test_held_out_intents_share_nothing_with_training_or_the_demo() -> None:
    heldout = read_intent_jsonl(INTENT_HELDOUT)
    others = [e.text for e in read_intent_jsonl(INTENT_TRAIN)]
    others += [e.text for e in read_jsonl(BRAND_TRAIN)]  # the encoder was fine-tuned on it
    others += sorted({post.text for post in demo_weekend()})
    closest = closest_pair([e.text for e in heldout], others)
    assert closest[0] < 0.3, closest


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("@Fibrea plus d'internet chez moi depuis hier, vous pouvez regarder ?", "service_request"),
        ("Aérolis annonce 300 recrutements à Toulouse, selon l'AFP", "news"),
        ("@Nuvia le forfait fonctionne-t-il au Canada ?", "question"),
        ("Bravo Livrio, encore un colis perdu 👏", "complaint"),
        ("Merci Colibox, livraison parfaite", "praise"),
        ("Bon week-end à tous, on part à la mer", "other"),
    ],
)
def test_keyword_rules_on_clear_cases(text: str, intent: str) -> None:
    assert keyword_intent(text) == intent
