"""Fine-tunes the encoder (through a low-rank adapter) together with the sentiment head.

Contract: `fine_tune` starts from `model.head` (the head fitted on frozen embeddings),
trains the adapter and the head on weighted cross-entropy with dropout on (AdamW, linear
warm-up over the first 6 % of steps, then linear decay), and leaves `model` in eval mode
with the shipped float16 adapter merged into `model.network`, so that what is evaluated
afterwards is exactly what `load_model` will load. For a given seed, data order, thread
count and torch build, the result is the same run to run (CPU).
"""

import logging
import math
import random
import time
from dataclasses import dataclass

import torch
from torch import nn

from enrich.model.adapter import Adapter, attach, detach, merge
from enrich.model.classifier import SentimentModel, mean_pool


@dataclass(frozen=True)
class FineTuneOptions:
    epochs: int = 3
    rank: int = 8
    learning_rate: float = 1e-3
    batch_size: int = 16
    weight_decay: float = 0.01
    seed: int = 0


@dataclass(frozen=True)
class TokenizedExample:
    ids: list[int]
    label: int
    weight: float


log = logging.getLogger(__name__)


def fine_tune(
    model: SentimentModel, examples: list[TokenizedExample], options: FineTuneOptions
) -> Adapter:
    """Trains in place (see the module docstring); returns the adapter that was merged."""
    assert model.head is not None, "fit the head on frozen embeddings first"
    torch.manual_seed(options.seed)
    shuffler = random.Random(options.seed)
    network, head = model.network, model.head
    trainable = attach(network, options.rank, options.seed)
    for parameter in head.parameters():
        parameter.requires_grad_(True)
    optimiser = torch.optim.AdamW(
        [*trainable, *head.parameters()], lr=options.learning_rate,
        weight_decay=options.weight_decay,
    )  # fmt: skip
    steps = options.epochs * math.ceil(len(examples) / options.batch_size)
    warmup = max(1, round(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, step / warmup) * max(0.0, (steps - step) / steps)
    )
    network.train()
    head.train()
    try:
        for epoch in range(options.epochs):
            started, total = time.monotonic(), 0.0
            batches = _batches(examples, options.batch_size, shuffler)
            for batch in batches:
                loss = _loss(model, batch)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
                schedule.step()
                total += loss.item()
            log.info("fine-tune epoch %d/%d: loss %.4f (%.0f s)", epoch + 1, options.epochs,
                     total / max(len(batches), 1), time.monotonic() - started)  # fmt: skip
    finally:
        adapter = detach(network)
        for parameter in head.parameters():
            parameter.requires_grad_(False)
        network.eval()
        head.eval()
    merge(network, adapter)
    return adapter


def _batches(
    examples: list[TokenizedExample], size: int, shuffler: random.Random
) -> list[list[TokenizedExample]]:
    """Shuffled batches of similar lengths: shuffle, sort within windows of 20 batches,
    cut, shuffle the batches (less padding, still random)."""
    order = list(examples)
    shuffler.shuffle(order)
    window = size * 20
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda e: len(e.ids))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    shuffler.shuffle(batches)
    return batches


def _loss(model: SentimentModel, batch: list[TokenizedExample]) -> torch.Tensor:
    assert model.head is not None
    inputs = model.collate([e.ids for e in batch])
    hidden = model.network(**inputs).last_hidden_state
    logits = model.head(mean_pool(hidden, inputs["attention_mask"]).float())
    labels = torch.tensor([e.label for e in batch], device=logits.device)
    weights = torch.tensor([e.weight for e in batch], device=logits.device)
    losses = nn.functional.cross_entropy(logits, labels, reduction="none")
    return (losses * weights).sum() / weights.sum()
