"""The shipped default model itself (transformers + torch, no server): it beats the lexicon
on the held-out brand posts (the reason the transformer is the default scorer), its intent
head beats the keyword rules, and `veille enrich score` runs it. Kept out of tests/unit, the
pure-logic tests, because loading and running the encoder was most of `make test-unit`'s
minute."""

import json
from pathlib import Path

import pytest

from enrich.model.datasets import (
    BRAND_HELDOUT,
    INTENT_HELDOUT,
    INTENT_LABELS,
    macro_f1,
    read_intent_jsonl,
    read_jsonl,
)
from enrich.model.intent_rules import keyword_intent
from enrich.sentiment import LexiconScorer, TransformerScorer
from schemas.config import SentimentModelSettings
from tests.unit.test_enrich_score_cli import run_score, write_config


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_default_model_clearly_beats_the_lexicon_on_held_out_brand_posts() -> None:
    heldout = read_jsonl(BRAND_HELDOUT)
    gold = [e.label for e in heldout]
    texts = [e.text for e in heldout]
    scorer = TransformerScorer(SentimentModelSettings())
    try:
        model_f1 = macro_f1(gold, [s.label for s in scorer.score(texts)])
    finally:
        scorer.close()
    lexicon_f1 = macro_f1(gold, [s.label for s in LexiconScorer().score(texts)])
    assert model_f1 >= lexicon_f1 + 0.10, (model_f1, lexicon_f1)  # 0.807 vs 0.555 measured


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_shipped_intent_head_reaches_the_target_and_beats_the_rules() -> None:
    heldout = read_intent_jsonl(INTENT_HELDOUT)
    gold = [e.intent for e in heldout]
    scorer = TransformerScorer(SentimentModelSettings())
    try:
        analyses = scorer.analyse([e.text for e in heldout])
    finally:
        scorer.close()
    predicted = [a.intent.label if a.intent else "none" for a in analyses]
    head_f1 = macro_f1(gold, predicted, INTENT_LABELS)
    rules_f1 = macro_f1(gold, [keyword_intent(e.text) for e in heldout], INTENT_LABELS)
    assert head_f1 >= 0.80, head_f1  # 0.876 measured, rules 0.634 (enrich/model/heads/README.md)
    assert head_f1 >= rules_f1 + 0.10, (head_f1, rules_f1)


def test_jsonl_input_is_scored_in_order_by_the_default_model(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "text": "Vol annulé, remboursement refusé, service client injoignable."},
        {"id": "b", "text": "Merci pour l'accueil, équipage adorable et vol à l'heure !"},
        {"id": "c", "text": "La compagnie ouvre une ligne vers Porto en avril.", "lang": "fr"},
    ] * 7
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = run_score(write_config(tmp_path, {}), source, tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == [r["id"] for r in rows]
    assert [r["label"] for r in out[:3]] == ["negative", "positive", "neutral"]
    assert out[0] == {**out[3], "id": "a"}  # same text, same result, wherever it sits
    for row in out:
        probabilities = row["probabilities"]
        assert isinstance(probabilities, dict) and set(probabilities) == {
            "negative", "neutral", "positive"}  # fmt: skip
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)
        assert row["model"] == "e5-small-sentiment-fr" and row["language"] == "fr"
