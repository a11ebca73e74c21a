"""The intent head rides the sentiment encoder: one encoder pass per batch gives both, through
the batching engine; an intent head trained on another sentiment head's encoder is refused.
Tiny randomly-initialised encoder saved and loaded through the real transformers path."""

from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    PreTrainedTokenizerFast,
)

from enrich.model import ModelLoadError
from enrich.model.datasets import INTENT_LABELS
from enrich.model.engine import BatchLimits, InferenceEngine
from enrich.model.head import save_head
from enrich.model.loader import load_model
from schemas.config import IntentModelSettings, SentimentModelSettings

WORDS = ["mon", "colis", "bravo", "merci", "annonce", "panne", "vol", "quand", "nul", "top"]


def _tokenizer(directory: Path, words: list[str]) -> dict[str, int]:
    """A word-level tokenizer of `words`, saved to `directory`; its vocabulary."""
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", *words])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]",
                            unk_token="[UNK]").save_pretrained(directory)  # fmt: skip
    return vocab


def _encoder(directory: Path) -> None:
    vocab = _tokenizer(directory, WORDS)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=32,
                        pad_token_id=0)  # fmt: skip
    BertModel(config, add_pooling_layer=False).save_pretrained(directory)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> SentimentModelSettings:
    directory = tmp_path_factory.mktemp("tiny-intent")
    _encoder(directory)
    sentiment = save_head(directory / "sentiment.safetensors", torch.nn.Linear(16, 3), {})
    save_head(directory / "intent.safetensors", torch.nn.Linear(16, len(INTENT_LABELS)),
              {"sentiment_head": sentiment}, labels=INTENT_LABELS)  # fmt: skip
    return SentimentModelSettings(
        path=str(directory), head=str(directory / "sentiment.safetensors"), id="tiny",
        input_prefix="", device="cpu", dtype="float32", max_batch_size=3,
        intent=IntentModelSettings(id="tiny-intent", head=str(directory / "intent.safetensors")),
    )  # fmt: skip


TEXTS = ["mon colis", "bravo merci top", "annonce", "panne vol quand", "nul", "mon vol nul top"]


def test_one_encoder_pass_per_batch_gives_sentiment_and_intent(
    settings: SentimentModelSettings,
) -> None:
    model = load_model(settings)
    passes: list[int] = []
    model.network.register_forward_hook(lambda _m, _i, out: passes.append(1))
    engine = InferenceEngine(model, BatchLimits(max_batch_size=3), warm_up=False)
    try:
        analyses = engine.analyse(TEXTS)
    finally:
        engine.close()
    assert len(passes) == engine.batches_run == 2  # 6 texts, batches of 3: two passes
    for text, analysis in zip(TEXTS, analyses, strict=True):
        assert analysis.intent is not None
        assert analysis.intent.model == "tiny-intent"
        assert set(analysis.intent.probabilities) == set(INTENT_LABELS)
        assert sum(analysis.intent.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        alone = model.analyse([text])[0]  # unbatched: same intent, same sentiment
        assert alone.intent is not None and alone.intent.label == analysis.intent.label
        assert alone.sentiment.label == analysis.sentiment.label


def test_an_intent_head_of_another_sentiment_head_is_refused(
    settings: SentimentModelSettings, tmp_path: Path
) -> None:
    other = tmp_path / "intent.safetensors"
    save_head(other, torch.nn.Linear(16, len(INTENT_LABELS)), {"sentiment_head": "head-0000"},
              labels=INTENT_LABELS)  # fmt: skip
    mismatched = settings.model_copy(update={"intent": IntentModelSettings(head=str(other))})
    with pytest.raises(ModelLoadError, match="retrain it"):
        load_model(mismatched)


def test_intent_can_be_switched_off(settings: SentimentModelSettings) -> None:
    off = settings.model_copy(update={"intent": IntentModelSettings(kind="none")})
    assert all(a.intent is None for a in load_model(off).analyse(TEXTS))


def _intent_classifier(directory: Path, labels: list[str]) -> None:
    """A tiny sequence-classification model of its own vocabulary and labels."""
    vocab = _tokenizer(directory, [*WORDS, "extra"])  # not the encoder's vocabulary
    torch.manual_seed(1)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=32,
                        pad_token_id=0, num_labels=len(labels),
                        id2label=dict(enumerate(labels)))  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(directory)


def test_any_sequence_classification_model_can_be_the_intent_model(
    settings: SentimentModelSettings, tmp_path: Path,
) -> None:  # fmt: skip
    labels = ["SAV", "plainte", "autre"]
    _intent_classifier(tmp_path / "intents", labels)
    mapping = {"SAV": "service_request", "plainte": "complaint", "autre": "other"}
    hub_like = settings.model_copy(update={"intent": IntentModelSettings(
        kind="sequence-classification", id="my-intents", path=str(tmp_path / "intents"),
        labels=mapping)})  # fmt: skip
    model = load_model(hub_like)
    assert model.intent_head is None and model.intent_model is not None
    own = AutoModelForSequenceClassification.from_pretrained(tmp_path / "intents").eval()
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "intents")
    engine = InferenceEngine(model, BatchLimits(max_batch_size=4), warm_up=False)
    try:
        analyses = engine.analyse(TEXTS)
    finally:
        engine.close()
    for text, analysis in zip(TEXTS, analyses, strict=True):
        with torch.inference_mode():
            row = torch.softmax(own(**tokenizer([text], return_tensors="pt")).logits, -1)[0]
        intent = analysis.intent
        assert intent is not None and intent.model == "my-intents"
        expected = {veille: float(row[labels.index(name)]) for name, veille in mapping.items()}
        for label, p in intent.probabilities.items():
            assert abs(p - expected.get(label, 0.0)) < 1e-5, (text, label)
        assert intent.label == max(expected, key=lambda k: expected[k])
        assert analysis.sentiment.model == "tiny"  # the sentiment model is unchanged


def test_an_intent_model_with_unmapped_labels_is_refused(
    settings: SentimentModelSettings, tmp_path: Path,
) -> None:  # fmt: skip
    _intent_classifier(tmp_path / "intents", ["SAV", "autre"])
    unmapped = settings.model_copy(update={"intent": IntentModelSettings(
        kind="sequence-classification", path=str(tmp_path / "intents"))})  # fmt: skip
    with pytest.raises(ModelLoadError, match=r"enrich.model.intent.labels"):
        load_model(unmapped)
    with pytest.raises(ValueError, match=r"intent\.path is required"):
        IntentModelSettings(kind="sequence-classification")
