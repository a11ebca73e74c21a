"""Model code: pre-process → forward → post-process, apart from any batching.

One loading path for every model, through transformers and torch:

- `encoder-head`: a sentence encoder (`AutoModel`, mean-pooled over the attention mask)
  and a linear head trained by `veille model train-head` (the offline default:
  multilingual-e5-small rebuilt by `veille model build`, with the bundled head);
- `sequence-classification`: any `AutoModelForSequenceClassification` (hub id or local
  path, e.g. `cardiffnlp/twitter-xlm-roberta-base-sentiment`), whose labels are mapped to
  negative / neutral / positive by the configuration (`labels:`), probabilities summed.

An `encoder-head` model may carry a second head, the intent head, over the same pooled
embeddings: one encoder forward pass gives both the sentiment and the intent. Or the intent
comes from a sequence-classification model of its own (`IntentClassifier`, any transformers
model, labels mapped to veille's six): its own tokenizer and forward pass, with any
sentiment model; `tokenize` then returns `Encoded` ids that carry the intent model's ids
too, so the batching engine (which plans on the sentiment ids) needs to know nothing.

`SentimentModel.tokenize` turns texts into token ids (truncated at `max_length`: the head
of a post — its title and lead — is what is kept); `collate` pads a batch into tensors on
the model's device; `forward` returns one probability row per text over veille's three
sentiment labels (and one over the six intents when an intent head is loaded);
`postprocess` turns rows into `Analysis`es (sentiment score = P(positive) − P(negative)).
"""

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import torch
from torch import nn

from enrich.model import Analysis, ModelLoadError
from enrich.model.datasets import INTENT_LABELS, LABELS
from schemas.enriched import Intent, Sentiment, SentimentLabel

Device = Literal["auto", "cpu", "cuda"]
DType = Literal["auto", "float32", "float16", "bfloat16"]


def label_matrix(
    model_labels: list[str], mapping: Mapping[str, str], targets: Sequence[str] = LABELS,
    setting: str = "enrich.model.labels",
) -> torch.Tensor:  # fmt: skip
    """[n_model_labels, len(targets)] 0/1 matrix summing model classes into veille's labels
    (the three sentiments, or the six intents)."""
    missing = [name for name in model_labels if name not in mapping]
    if missing:
        raise ModelLoadError(
            f"no mapping for model label(s) {missing}: set {setting}, e.g. "
            "{'1 star': negative, '3 stars': neutral, '5 stars': positive}"
        )
    matrix = torch.zeros(len(model_labels), len(targets))
    for row, name in enumerate(model_labels):
        matrix[row, list(targets).index(mapping[name])] = 1.0
    return matrix


class Encoded(list[int]):
    """A text's sentiment-model token ids, with its intent model's ids (`intent`) when the
    intent comes from a sequence-classification model of its own."""

    intent: list[int] | None = None


@dataclass
class IntentClassifier:
    """A sequence-classification intent model: its tokenizer, network, and the matrix summing
    its classes into veille's six intents."""

    tokenizer: Any
    network: nn.Module
    to_labels: torch.Tensor
    input_prefix: str = ""

    def tokenize(self, texts: list[str], max_length: int) -> list[list[int]]:
        encoded = self.tokenizer([self.input_prefix + t for t in texts], truncation=True,
                                 max_length=max_length, padding=False)  # fmt: skip
        return [list(ids) for ids in encoded["input_ids"]]

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = self.network(**inputs).logits.float()
        probabilities = torch.softmax(logits, dim=-1)
        return (probabilities @ self.to_labels.to(probabilities.device)).cpu()


def _padded(
    batch: list[list[int]], pad: int, device: torch.device, pin: bool
) -> dict[str, torch.Tensor]:
    width = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
    attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, : len(ids)] = 1
    tensors = {"input_ids": input_ids, "attention_mask": attention_mask}
    if pin:
        tensors = {name: t.pin_memory() for name, t in tensors.items()}
    return {name: t.to(device, non_blocking=True) for name, t in tensors.items()}


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states the attention mask keeps (e5's sentence embedding)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class Probabilities(NamedTuple):
    """Float32 rows on the CPU: sentiment [batch, 3]; intent [batch, 6] or None."""

    sentiment: torch.Tensor
    intent: torch.Tensor | None = None


@dataclass
class SentimentModel:
    """A loaded model with its tokenizer; see the module docstring for the three steps."""

    model_id: str
    version: str
    tokenizer: Any
    network: nn.Module
    kind: Literal["encoder-head", "sequence-classification"]
    to_labels: torch.Tensor
    head: nn.Linear | None = None
    input_prefix: str = ""
    max_length: int = 128
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    dtype: torch.dtype = torch.float32
    pin_memory: bool = False
    intent_head: nn.Linear | None = None
    intent_id: str = ""
    intent_version: str = ""
    intent_model: IntentClassifier | None = None

    def tokenize(self, texts: list[str], max_length: int | None = None) -> list[list[int]]:
        limit = max_length or self.max_length
        encoded = self.tokenizer(
            [self.input_prefix + text for text in texts],
            truncation=True,
            max_length=limit,
            padding=False,
        )
        out = [Encoded(ids) for ids in encoded["input_ids"]]
        if self.intent_model is not None:
            for ids, intent in zip(out, self.intent_model.tokenize(texts, limit), strict=True):
                ids.intent = intent
        return list[list[int]](out)

    def collate(self, batch: list[list[int]]) -> dict[str, torch.Tensor]:
        pad = int(self.tokenizer.pad_token_id or 0)
        tensors = _padded(batch, pad, self.device, self.pin_memory)
        if self.intent_model is not None:
            intent_ids = [getattr(ids, "intent", None) or [] for ids in batch]
            intent_pad = int(self.intent_model.tokenizer.pad_token_id or 0)
            for name, t in _padded(intent_ids, intent_pad, self.device, self.pin_memory).items():
                tensors[f"intent_{name}"] = t
        return tensors

    def forward(self, inputs: dict[str, torch.Tensor]) -> Probabilities:
        """Probabilities over (negative, neutral, positive), and over the intents when an
        intent head is loaded — from one pass of the encoder — or an intent model."""
        intent = None
        if self.intent_model is not None:
            inputs = dict(inputs)
            own = {n.removeprefix("intent_"): inputs.pop(n) for n in list(inputs)
                   if n.startswith("intent_")}  # fmt: skip
            intent = self.intent_model.forward(own)
        if self.kind == "encoder-head":
            assert self.head is not None
            hidden = self.network(**inputs).last_hidden_state
            pooled = mean_pool(hidden, inputs["attention_mask"]).float()
            probabilities = torch.softmax(self.head(pooled), dim=-1)
            if self.intent_head is not None:
                intent = torch.softmax(self.intent_head(pooled), dim=-1).cpu()
        else:
            logits = self.network(**inputs).logits.float()
            probabilities = torch.softmax(logits, dim=-1)
        sentiment = (probabilities @ self.to_labels.to(probabilities.device)).cpu()
        return Probabilities(sentiment, intent)

    def postprocess(self, probabilities: Probabilities) -> list[Analysis]:
        intents: list[Intent | None] = [None] * len(probabilities.sentiment)
        if probabilities.intent is not None:
            intents = [self._intent(row) for row in probabilities.intent.tolist()]
        analyses = []
        for row, intent in zip(probabilities.sentiment.tolist(), intents, strict=True):
            label: SentimentLabel = LABELS[max(range(len(LABELS)), key=row.__getitem__)]
            sentiment = Sentiment(
                label=label,
                probabilities=dict(zip(LABELS, row, strict=True)),
                score=max(-1.0, min(1.0, row[2] - row[0])),
                model=self.model_id,
                model_version=self.version,
            )
            analyses.append(Analysis(sentiment, intent))
        return analyses

    def _intent(self, row: list[float]) -> Intent:
        return Intent(
            label=INTENT_LABELS[max(range(len(INTENT_LABELS)), key=row.__getitem__)],
            probabilities=dict(zip(INTENT_LABELS, row, strict=True)),
            model=self.intent_id,
            model_version=self.intent_version,
        )

    def analyse(self, texts: list[str]) -> list[Analysis]:
        """The three steps on one batch, as is (no sorting, no splitting)."""
        with torch.inference_mode():
            return self.postprocess(self.forward(self.collate(self.tokenize(texts))))

    def predict(self, texts: list[str]) -> list[Sentiment]:
        return [analysis.sentiment for analysis in self.analyse(texts)]


def resolve_device(device: Device) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("enrich.model.device is cuda but no CUDA device is available")
    return torch.device(device)


def cpu_has_native_bf16() -> bool:
    """True on x86 CPUs with AMX or AVX512-BF16 (oneDNN then runs bf16 matmuls natively)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return False
    return bool({"amx_bf16", "avx512_bf16"} & set(flags.split()))


def resolve_dtype(dtype: DType, device: torch.device) -> torch.dtype:
    """`auto`: on CUDA bf16 where supported, else fp16; on CPU bf16 where the CPU has native
    bf16 (AMX / AVX512-BF16: 2–3× the float32 throughput here, at most one point of
    macro-F1; README), else float32."""
    if dtype != "auto":
        return {"float32": torch.float32, "float16": torch.float16,
                "bfloat16": torch.bfloat16}[dtype]  # fmt: skip
    if device.type != "cuda":
        return torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def quantize_int8(network: nn.Module) -> nn.Module:
    """Dynamic int8 quantisation of every Linear layer (CPU only; accuracy is measured by
    `veille model train-head --int8-report` and reported in the README)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao eager quantisation deprecation notice
        from torch.ao.quantization import quantize_dynamic

        quantized: nn.Module = quantize_dynamic(  # type: ignore[no-untyped-call]
            network, {nn.Linear}, dtype=torch.qint8
        )
    return quantized
