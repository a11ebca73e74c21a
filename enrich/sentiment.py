"""Sentiment scorers, one `SentimentScorer` interface:

- `TransformerScorer` (default, `enrich.scorer: transformer`): a transformers model run by
  the batching engine of `enrich.model` (offline default: multilingual-e5-small + head);
- `LexiconScorer` (`enrich.scorer: lexicon`, an explicit fallback for machines without
  torch): the French lexicon of vadersentiment-fr, named `lexicon:vadersentiment-fr` in
  every enriched mention so nobody mistakes it for a model.

A transformer that fails to load raises; veille never falls back to the lexicon silently.
"""

import warnings
from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING, Protocol

from enrich.model import Analysis
from schemas.enriched import Sentiment, SentimentLabel

if TYPE_CHECKING:
    from schemas.config import SentimentModelSettings


def compose_input(title: str | None, text: str) -> str:
    """Title, then body, unless the body already starts with the title (RSS items often
    do): a model's truncation at max_length then keeps the title and the lead of long
    blog posts."""
    if title and not text.lstrip().startswith(title.strip().rstrip("…")):
        return f"{title.strip()}. {text}"
    return text


class SentimentScorer(Protocol):
    """Scores a batch of texts; returns one Sentiment (or Analysis: sentiment and intent)
    per text, in input order."""

    model_id: str

    def score(self, texts: list[str]) -> list[Sentiment]: ...

    def analyse(self, texts: list[str]) -> list[Analysis]: ...


def label_for(score: float, negative_below: float, positive_above: float) -> SentimentLabel:
    if score <= negative_below:
        return "negative"
    if score >= positive_above:
        return "positive"
    return "neutral"


@dataclass
class LexiconScorer:
    """vadersentiment-fr: a rule-and-lexicon scorer for French. Fast, no torch, weak on
    sarcasm and domain words; probabilities are its normalised neg/neu/pos proportions."""

    negative_below: float = -0.05
    positive_above: float = 0.05
    model_id: str = "lexicon:vadersentiment-fr"

    def __post_init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fuzzywuzzy's "slow SequenceMatcher" notice
            from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer
        self._analyzer = SentimentIntensityAnalyzer()
        self._version = version("vadersentiment-fr")

    def score(self, texts: list[str]) -> list[Sentiment]:
        return [self._score_one(text) for text in texts]

    def analyse(self, texts: list[str]) -> list[Analysis]:
        """The lexicon has no intent: `intent` is None."""
        return [Analysis(sentiment) for sentiment in self.score(texts)]

    def _score_one(self, text: str) -> Sentiment:
        polarity = self._analyzer.polarity_scores(text)
        compound = max(-1.0, min(1.0, float(polarity["compound"])))
        total = polarity["neg"] + polarity["neu"] + polarity["pos"] or 1.0
        return Sentiment(
            label=label_for(compound, self.negative_below, self.positive_above),
            probabilities={
                "negative": polarity["neg"] / total,
                "neutral": polarity["neu"] / total,
                "positive": polarity["pos"] / total,
            },
            score=compound,
            model=self.model_id,
            model_version=self._version,
        )


class TransformerScorer:
    """A transformers model behind the batching engine (see enrich/model/engine.py).
    Loading fails loudly (`ModelLoadError`)."""

    def __init__(self, settings: "SentimentModelSettings") -> None:
        from enrich.model.engine import BatchLimits, InferenceEngine
        from enrich.model.loader import load_shared_model

        model = load_shared_model(settings)
        limits = BatchLimits(settings.max_batch_size, settings.max_batch_tokens,
                             settings.max_wait_ms)  # fmt: skip
        self.engine = InferenceEngine(model, limits)
        self.model_id = model.model_id
        self.version = model.version

    def score(self, texts: list[str]) -> list[Sentiment]:
        return self.engine.score(texts)

    def analyse(self, texts: list[str]) -> list[Analysis]:
        return self.engine.analyse(texts)

    def close(self) -> None:
        self.engine.close()
