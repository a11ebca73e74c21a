"""The first scorer (lexicon). Virality: test_virality.py; the stage: test_enrich_stage.py."""

import pytest

from enrich.sentiment import LexiconScorer, label_for


@pytest.fixture(scope="module")
def scorer() -> LexiconScorer:
    return LexiconScorer()


def test_lexicon_scores_french_complaints_and_praise(scorer: LexiconScorer) -> None:
    complaint, praise = scorer.score([
        "Remboursement refusé, c'est un scandale, service client nul",
        "Merci pour cet accueil excellent, bravo à toute l'équipe",
    ])  # fmt: skip
    assert complaint.label == "negative" and complaint.score < -0.3
    assert praise.label == "positive" and praise.score > 0.3
    assert sum(complaint.probabilities.values()) == pytest.approx(1.0)
    assert complaint.model == "lexicon:vadersentiment-fr"
    assert complaint.model_version == "1.3.4"


def test_scores_come_back_in_input_order(scorer: LexiconScorer) -> None:
    texts = ["honteux", "neutre", "génial", "honteux"]
    labels = [s.label for s in scorer.score(texts)]
    assert labels[0] == labels[3] == "negative" and labels[2] == "positive"


def test_label_thresholds() -> None:
    assert label_for(-0.05, -0.05, 0.05) == "negative"
    assert label_for(0.0, -0.05, 0.05) == "neutral"
    assert label_for(0.05, -0.05, 0.05) == "positive"
