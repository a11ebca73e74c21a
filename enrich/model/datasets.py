"""Labelled French sentiment data the head is trained and evaluated on.

Readers for the shared training data (read from a path, never copied into the repo) and
for the project's own brand-style sets (JSONL: `{"text": ..., "label": ...}`):

- DEFT 2017 tweets (XLM-T redistribution): `<split>_text.txt` + `<split>_labels.txt`,
  one item per line, 0 negative / 1 neutral / 2 positive;
- Allociné TV reviews: `<split>.tsv`, `label<TAB>text`, 1 positive / 0 negative;
- brand-style mentions written for veille: `enrich/model/training/brand_train_fr.jsonl`
  (training) and `enrich/model/eval/brand_heldout_fr.jsonl` (held out, never trained on);
- intent sets written for veille (JSONL: `{"text": ..., "intent": ...}`):
  `enrich/model/training/intent_train_fr.jsonl` and `enrich/model/eval/intent_heldout_fr.jsonl`
  (held out, never trained on nor tuned on).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from schemas.enriched import IntentLabel, SentimentLabel

LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")
INTENT_LABELS: tuple[IntentLabel, ...] = get_args(IntentLabel)
MODEL_DIR = Path(__file__).parent
BRAND_TRAIN = MODEL_DIR / "training" / "brand_train_fr.jsonl"
BRAND_HELDOUT = MODEL_DIR / "eval" / "brand_heldout_fr.jsonl"
INTENT_TRAIN = MODEL_DIR / "training" / "intent_train_fr.jsonl"
INTENT_HELDOUT = MODEL_DIR / "eval" / "intent_heldout_fr.jsonl"


@dataclass(frozen=True)
class Example:
    text: str
    label: SentimentLabel


@dataclass(frozen=True)
class IntentExample:
    text: str
    intent: IntentLabel


def _lines(path: Path) -> list[str]:
    """Lines split on '\\n' only (tweets may hold other Unicode separators)."""
    content = path.read_text(encoding="utf-8")
    lines = content.split("\n")
    return lines[:-1] if content.endswith("\n") else lines


def read_deft(directory: Path, split: str) -> list[Example]:
    texts = _lines(directory / f"{split}_text.txt")
    labels = _lines(directory / f"{split}_labels.txt")
    if len(texts) != len(labels):
        raise ValueError(f"{directory}: {len(texts)} texts but {len(labels)} labels ({split})")
    return [Example(text, LABELS[int(label)]) for text, label in zip(texts, labels, strict=True)]


def read_allocine(directory: Path, split: str) -> list[Example]:
    examples = []
    for line in _lines(directory / f"{split}.tsv"):
        if not line.strip():
            continue
        label, text = line.split("\t", 1)
        examples.append(Example(text, "positive" if label.strip() == "1" else "negative"))
    return examples


def read_jsonl(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in LABELS:
            raise ValueError(f"{path}:{number}: label must be one of {LABELS}")
        examples.append(Example(row["text"], row["label"]))
    return examples


def read_intent_jsonl(path: Path) -> list[IntentExample]:
    examples = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("intent") not in INTENT_LABELS:
            raise ValueError(f"{path}:{number}: intent must be one of {INTENT_LABELS}")
        examples.append(IntentExample(row["text"], row["intent"]))
    return examples


def f1_by_label(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> list[float]:
    scores = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return scores


def macro_f1(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS
) -> float:
    """Unweighted mean of the per-class F1 over `labels` (default: the sentiment labels)."""
    scores = f1_by_label(gold, predicted, labels)
    return sum(scores) / len(scores)


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / max(len(gold), 1)
