"""The batching engine and the model code on tiny randomly-initialised models, loaded
through the same transformers path as real ones (saved to a directory, no download)."""

import threading
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    PreTrainedTokenizerFast,
)

from enrich.model import ModelLoadError
from enrich.model.engine import BatchLimits, InferenceEngine, plan_batches
from enrich.model.head import save_head
from enrich.model.loader import load_model
from enrich.sentiment import TransformerScorer, compose_input
from schemas.config import SentimentModelSettings

WORDS = [
    "le",
    "la",
    "un",
    "vol",
    "train",
    "retard",
    "colis",
    "merci",
    "super",
    "nul",
    "honte",
    "top",
    "annulé",
    "service",
    "client",
]
STARS = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]


def _tokenizer() -> PreTrainedTokenizerFast:
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]")


def _config(**extra: object) -> BertConfig:
    torch.manual_seed(0)
    return BertConfig(vocab_size=len(WORDS) + 4, hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                      pad_token_id=0, **extra)  # fmt: skip


@pytest.fixture(scope="module")
def encoder_head(tmp_path_factory: pytest.TempPathFactory) -> SentimentModelSettings:
    directory = tmp_path_factory.mktemp("tiny-encoder")
    BertModel(_config(), add_pooling_layer=False).save_pretrained(directory)
    _tokenizer().save_pretrained(directory)
    head = torch.nn.Linear(32, 3)
    save_head(directory / "head.safetensors", head, {"encoder": "tiny"})
    return SentimentModelSettings(path=str(directory), head=str(directory / "head.safetensors"),
                                  id="tiny", input_prefix="", max_batch_size=4,
                                  max_batch_tokens=64, device="cpu", dtype="float32")  # fmt: skip


@pytest.fixture(scope="module")
def five_stars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-stars")
    config = _config(num_labels=5, id2label=dict(enumerate(STARS)))
    BertForSequenceClassification(config).save_pretrained(directory)
    _tokenizer().save_pretrained(directory)
    return directory


def texts(n: int) -> list[str]:
    return [" ".join(WORDS[(i * 7 + j) % len(WORDS)] for j in range(1 + i % 9)) for i in range(n)]


def test_plan_batches_bounds_count_and_padded_tokens_and_sorts_by_length() -> None:
    lengths = [5, 1, 30, 2, 2, 9, 100, 3, 4, 4, 8]
    plan = plan_batches(lengths, max_count=3, max_tokens=20)
    assert sorted(i for batch in plan for i in batch) == list(range(len(lengths)))
    for batch in plan:
        assert len(batch) <= 3
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 20
    flat = [lengths[i] for batch in plan for i in batch]
    assert flat == sorted(lengths)  # shortest first: little padding
    assert [100] in [[lengths[i] for i in b] for b in plan]  # too long: alone, not dropped


def test_engine_returns_one_sentiment_per_text_in_input_order(
    encoder_head: SentimentModelSettings,
) -> None:
    model = load_model(encoder_head)
    engine = InferenceEngine(model, BatchLimits(max_batch_size=4, max_batch_tokens=64))
    try:
        batch = texts(23)
        scored = engine.score(batch)
        alone = [model.predict([text])[0] for text in batch]  # unbatched, unsorted
    finally:
        engine.close()
    assert len(scored) == 23
    assert engine.batches_run >= 6  # 23 texts, at most 4 per batch
    for got, expected in zip(scored, alone, strict=True):  # padding changes nothing
        assert got.label == expected.label
        for label, p in expected.probabilities.items():
            assert got.probabilities[label] == pytest.approx(p, abs=1e-5)
        assert sum(got.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert got.score == pytest.approx(got.probabilities["positive"]
                                          - got.probabilities["negative"], abs=1e-6)  # fmt: skip
        assert got.model == "tiny" and got.model_version.endswith(expected.model_version[-8:])


def test_engine_serves_several_threads_and_a_timeout_closes_small_batches(
    encoder_head: SentimentModelSettings,
) -> None:
    model = load_model(encoder_head)
    engine = InferenceEngine(model, BatchLimits(max_batch_size=64, max_batch_tokens=4096,
                                                max_wait_ms=20))  # fmt: skip
    results: dict[int, list[str]] = {}

    def call(k: int) -> None:
        results[k] = [s.label for s in engine.score(texts(5 + k))]

    threads = [threading.Thread(target=call, args=(k,)) for k in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        single = engine.score(["merci"])  # alone: the timeout, not the count, ends its batch
    finally:
        engine.close()
    assert {k: len(v) for k, v in results.items()} == {0: 5, 1: 6, 2: 7, 3: 8}
    for k, labels in results.items():
        assert labels == [s.label for s in model.predict(texts(5 + k))]
    assert len(single) == 1


def test_engine_hands_a_model_failure_to_the_caller(encoder_head: SentimentModelSettings) -> None:
    model = load_model(encoder_head)
    engine = InferenceEngine(model, BatchLimits())
    model.head = torch.nn.Linear(7, 3)  # wrong width: forward raises
    try:
        with pytest.raises(RuntimeError):
            engine.score(["le vol"])
    finally:
        engine.close()


def test_a_five_star_model_is_mapped_to_three_labels(five_stars: Path) -> None:
    labels = {"1 star": "negative", "2 stars": "negative", "3 stars": "neutral",
              "4 stars": "positive", "5 stars": "positive"}  # fmt: skip
    settings = SentimentModelSettings(kind="sequence-classification", path=str(five_stars),
                                      labels=labels, id="stars", dtype="float32")  # fmt: skip
    model = load_model(settings)
    inputs = model.collate(model.tokenize(texts(3)))
    with torch.inference_mode():
        logits = model.network(**inputs).logits
        stars = torch.softmax(logits, -1)
    mapped = model.forward(inputs).sentiment
    assert torch.allclose(mapped[:, 0], stars[:, 0] + stars[:, 1], atol=1e-5)
    assert torch.allclose(mapped[:, 1], stars[:, 2], atol=1e-5)
    assert torch.allclose(mapped[:, 2], stars[:, 3] + stars[:, 4], atol=1e-5)


def test_unmapped_labels_and_missing_models_fail_loudly(five_stars: Path, tmp_path: Path) -> None:
    partial = SentimentModelSettings(kind="sequence-classification", path=str(five_stars),
                                     labels={"1 star": "negative"}, device="cpu")  # fmt: skip
    with pytest.raises(ModelLoadError, match="no mapping"):
        load_model(partial)
    missing = SentimentModelSettings(path=str(tmp_path / "nowhere"), device="cpu")
    with pytest.raises(ModelLoadError):
        TransformerScorer(missing)  # never a silent fallback to the lexicon


def test_int8_quantisation_keeps_the_engine_working(encoder_head: SentimentModelSettings) -> None:
    model = load_model(encoder_head.model_copy(update={"quantize_int8": True}))
    assert "DynamicQuantizedLinear" in repr(model.network.encoder.layer[0].intermediate.dense)
    scored = model.predict(texts(3))
    assert all(sum(s.probabilities.values()) == pytest.approx(1.0, abs=1e-5) for s in scored)


def test_truncation_keeps_the_title_and_the_lead(encoder_head: SentimentModelSettings) -> None:
    model = load_model(encoder_head.model_copy(update={"max_length": 6}))
    long_post = compose_input("vol annulé", "merci " * 200)
    ids = model.tokenize([long_post])[0]
    assert len(ids) == 6
    assert model.tokenizer.convert_ids_to_tokens(ids[:2]) == ["vol", "annulé"]
    assert compose_input("Vol annulé", "Vol annulé : le récit") == "Vol annulé : le récit"
    assert compose_input("Vol annulé", "Le récit") == "Vol annulé. Le récit"
    assert compose_input(None, "Le récit") == "Le récit"


def test_bfloat16_on_cpu_gives_the_float32_probabilities_closely(
    encoder_head: SentimentModelSettings,
) -> None:
    fp32 = load_model(encoder_head).predict(texts(6))
    bf16_model = load_model(encoder_head.model_copy(update={"dtype": "bfloat16"}))
    assert next(bf16_model.network.parameters()).dtype == torch.bfloat16
    for a, b in zip(fp32, bf16_model.predict(texts(6)), strict=True):
        assert b.probabilities["negative"] == pytest.approx(a.probabilities["negative"], abs=0.05)
