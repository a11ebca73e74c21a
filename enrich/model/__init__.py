"""The transformer sentiment model: rebuild (build.py, blob.py), model code (classifier.py),
loading (loader.py), batching (engine.py), head and its training (head.py, train.py).

Importing this package does not import torch; the modules do."""

from dataclasses import dataclass

from schemas.enriched import Intent, Sentiment


class ModelLoadError(RuntimeError):
    """The configured model cannot be loaded: veille stops instead of scoring differently."""


@dataclass(frozen=True)
class Analysis:
    """What the model says of one text: its sentiment and, when an intent head or model is
    loaded, its intent (both from one forward pass of the encoder)."""

    sentiment: Sentiment
    intent: Intent | None = None
