"""Sentiment on CPU: the batching engine vs a naive one-text-at-a-time loop, same model,
same texts, same run (mentions/s and their ratio; target ≥ 8×).

Texts: veille's brand-style mentions (short posts) and one long "blog post" in eight,
built by joining posts; both sides truncate at the configured max_length (128 tokens), so
the ratio measures batching and length sorting, not truncation. The naive loop is what a
first script does: tokenizer(text) → model → mean pool → head → softmax, under
torch.no_grad(), one text per forward. The int8 line uses dynamic quantisation of the
Linear layers (its accuracy impact: enrich/model/heads/*.json, README).
"""

import random
import time

import torch

from enrich.model.classifier import SentimentModel, cpu_has_native_bf16, mean_pool
from enrich.model.datasets import BRAND_HELDOUT, BRAND_TRAIN, read_jsonl
from enrich.sentiment import TransformerScorer
from schemas.config import SentimentModelSettings

N_TEXTS = 512


def corpus(n: int = N_TEXTS, seed: int = 7) -> list[str]:
    posts = [e.text for e in read_jsonl(BRAND_TRAIN) + read_jsonl(BRAND_HELDOUT)]
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        if i % 8 == 7:
            texts.append(" ".join(rng.sample(posts, 12)))  # a long blog post
        else:
            texts.append(rng.choice(posts))
    return texts


def naive(model: SentimentModel, texts: list[str]) -> list[str]:
    labels = []
    with torch.no_grad():
        for text in texts:
            inputs = model.tokenizer(model.input_prefix + text, truncation=True,
                                     max_length=model.max_length, return_tensors="pt")  # fmt: skip
            hidden = model.network(**inputs).last_hidden_state
            assert model.head is not None
            logits = model.head(mean_pool(hidden, inputs["attention_mask"]))
            labels.append(
                ("negative", "neutral", "positive")[int(torch.softmax(logits, -1).argmax())]
            )
    return labels


def rate(fn: object, texts: list[str]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    labels = fn(texts)  # type: ignore[operator]
    return len(texts) / (time.perf_counter() - started), labels


def engine_rate(settings: SentimentModelSettings, texts: list[str]) -> tuple[float, list[str]]:
    scorer = TransformerScorer(settings)
    try:
        per_second, sentiments = rate(scorer.score, texts)
    finally:
        scorer.close()
    return per_second, [s.label for s in sentiments]  # type: ignore[attr-defined]


def main() -> int:
    texts = corpus()
    print(f"{len(texts)} mentions, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"native CPU bf16: {cpu_has_native_bf16()}")  # fmt: skip
    scorer = TransformerScorer(SentimentModelSettings(device="cpu", dtype="float32"))
    model = scorer.engine.model
    scorer.close()
    naive(model, texts[:8])  # same warm-up as the engine's
    naive_rate, naive_labels = rate(lambda t: naive(model, t), texts)
    print(f"naive, one text per forward (float32): {naive_rate:8.1f} mentions/s")
    runs = {
        "engine, float32": SentimentModelSettings(device="cpu", dtype="float32"),
        "engine, default (dtype auto)": SentimentModelSettings(device="cpu"),
        "engine, dynamic int8": SentimentModelSettings(device="cpu", quantize_int8=True),
    }
    agreement = {}
    for name, settings in runs.items():
        per_second, labels = engine_rate(settings, texts)
        agreement[name] = sum(a == b for a, b in zip(naive_labels, labels, strict=True))
        print(f"{name:37s}: {per_second:8.1f} mentions/s  ({per_second / naive_rate:.1f}× naive"
              f"; same label as naive for {agreement[name]}/{len(texts)})")  # fmt: skip
    print("target: ≥ 8× naive")
    return 0 if agreement["engine, float32"] == len(texts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
