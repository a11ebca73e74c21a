"""The first scorer (lexicon) and the virality score."""

from datetime import UTC, datetime

import pytest

from enrich.sentiment import LexiconScorer, label_for
from enrich.virality import virality
from schemas.mention import Author, Engagement
from tests.helpers import mention


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


def test_virality_grows_with_reach_and_engagement_and_stays_in_bounds() -> None:
    observed = datetime(2026, 11, 21, tzinfo=UTC)
    base = mention("x")
    nobody = virality(base.model_copy(update={"author": Author(followers=0)}))
    famous = virality(base.model_copy(update={"author": Author(followers=2_000_000)}))
    shared = virality(base.model_copy(update={
        "author": Author(followers=2_000_000),
        "engagement": Engagement(likes=5000, reposts=3000, replies=800, observed_at=observed),
    }))  # fmt: skip
    huge = virality(base.model_copy(update={
        "author": Author(followers=10**12),
        "engagement": Engagement(likes=10**9, reposts=10**9, replies=10**9, observed_at=observed),
    }))  # fmt: skip
    assert nobody.score == 0.0
    assert 0 < famous.score < shared.score < huge.score == 100.0
    assert set(shared.components) == {"reach", "engagement"}
