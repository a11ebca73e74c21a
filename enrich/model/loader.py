"""Loads the configured sentiment model and its intent (the encoder-head's intent head, or a
sequence-classification intent model of its own) through transformers — the same code for
the offline default and for any hub model.
Failures raise `ModelLoadError`; nothing falls back to another scorer."""

import logging
import threading
from pathlib import Path

import torch

from enrich.model import ModelLoadError
from enrich.model.adapter import merge
from enrich.model.build import DEFAULT_ENCODER, BuildError, build_model, encoder_version
from enrich.model.classifier import (
    IntentClassifier,
    SentimentModel,
    label_matrix,
    quantize_int8,
    resolve_device,
    resolve_dtype,
)
from enrich.model.datasets import INTENT_LABELS, LABELS
from enrich.model.head import DEFAULT_HEAD, DEFAULT_INTENT_HEAD, load_head
from schemas.config import SentimentModelSettings

log = logging.getLogger(__name__)


def default_encoder(models_dir: Path) -> Path:
    """The built default encoder; built on first use (about 2 s, from installed wheels)."""
    try:
        return build_model(models_dir)
    except BuildError as exc:
        raise ModelLoadError(f"cannot build the default encoder: {exc}") from exc


_SHARED: dict[str, SentimentModel] = {}
_SHARED_LOCK = threading.Lock()


def load_shared_model(settings: SentimentModelSettings) -> SentimentModel:
    """`load_model(settings)`, loaded once per process and settings: every enrich worker of one
    process (`veille run`, a test session) shares it, since inference only reads it. Without
    this, each worker started in a process held its own copy (~1 GB) for the process's life."""
    key = settings.model_dump_json()
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = load_model(settings)
        return _SHARED[key]


def load_model(settings: SentimentModelSettings, with_head: bool = True) -> SentimentModel:
    """The configured model, ready for `forward`; `with_head=False` loads an encoder-head
    model's encoder alone (for training its head)."""
    device = resolve_device(settings.device)
    dtype = resolve_dtype(settings.dtype, device)
    if settings.quantize_int8:
        dtype = torch.float32  # dynamic int8 quantises float32 Linear layers
    if device.type == "cpu" and settings.cpu_threads:
        torch.set_num_threads(settings.cpu_threads)
    try:
        model = _load(settings, device, dtype, with_head)
    except ModelLoadError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"cannot load sentiment model {settings.path!r}: {exc}") from exc
    if settings.quantize_int8:
        if device.type != "cpu":
            raise ModelLoadError("enrich.model.quantize_int8 is for CPU inference only")
        model.network = quantize_int8(model.network)
    return model


def _load(
    settings: SentimentModelSettings, device: torch.device, dtype: torch.dtype, with_head: bool
) -> SentimentModel:
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    if settings.kind == "encoder-head":
        path = settings.path or str(default_encoder(Path(settings.models_dir)))
        head_path = Path(settings.head) if settings.head else DEFAULT_HEAD
        head, metadata, adapter = (
            load_head(head_path) if with_head else (None, {"version": "no-head"}, {})
        )
        network = AutoModel.from_pretrained(path, dtype=dtype, add_pooling_layer=False)
        merge(network, adapter)  # the head's fine-tuning of the encoder, if any
        is_default = settings.path is None
        encoder = encoder_version(Path(path)) if is_default else metadata.get("encoder", path)
        version = f"{encoder}+{metadata.get('version', 'head')}"
        to_labels = torch.eye(len(LABELS))
        head = head.to(device) if head is not None else None
    else:
        if not settings.path:
            raise ModelLoadError("enrich.model.path is required for sequence-classification")
        path = settings.path
        network = AutoModelForSequenceClassification.from_pretrained(path, dtype=dtype)
        id2label = network.config.id2label
        to_labels = label_matrix([id2label[i] for i in range(len(id2label))], settings.labels)
        version = str(getattr(network.config, "_commit_hash", None) or Path(path).name)
        head = None
    tokenizer = AutoTokenizer.from_pretrained(path)
    network = network.to(device).eval()
    log.info("sentiment model %s (%s) on %s/%s", settings.id, version, device, dtype)
    intent_head, intent_version = None, ""
    intent_path = _intent_head_path(settings) if with_head else None
    if intent_path is not None:
        intent_head, intent_metadata, _ = load_head(intent_path, INTENT_LABELS)
        trained_on = intent_metadata.get("sentiment_head")
        if trained_on != metadata.get("version"):
            raise ModelLoadError(
                f"intent head {intent_path} was trained on the encoder of sentiment head "
                f"{trained_on}, not {metadata.get('version')}: retrain it (veille model "
                "train-head --intent) or set enrich.model.intent.kind: none"
            )
        intent_head = intent_head.to(device)
        intent_version = f"{encoder}+{intent_metadata.get('version', 'head')}"
        log.info("intent head %s (%s)", settings.intent.id, intent_version)
    intent_model = None
    if with_head and settings.intent.kind == "sequence-classification":
        intent_model, intent_version = _intent_model(settings, device, dtype)
    return SentimentModel(
        model_id=settings.id,
        version=version,
        tokenizer=tokenizer,
        network=network,
        kind=settings.kind,
        to_labels=to_labels,
        head=head,
        input_prefix=_prefix(settings),
        max_length=settings.max_length,
        device=device,
        dtype=dtype,
        pin_memory=device.type == "cuda",
        intent_head=intent_head,
        intent_id=settings.intent.id,
        intent_version=intent_version,
        intent_model=intent_model,
    )


def _intent_model(
    settings: SentimentModelSettings, device: torch.device, dtype: torch.dtype
) -> tuple[IntentClassifier, str]:
    """Any sequence-classification model as the intent model, its labels mapped to veille's
    six (`enrich.model.intent.labels`; empty: its own labels must be veille's)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    intent = settings.intent
    path = intent.path
    assert path is not None  # IntentModelSettings requires it for this kind
    try:
        network = AutoModelForSequenceClassification.from_pretrained(path, dtype=dtype)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"cannot load intent model {path!r}: {exc}") from exc
    id2label = network.config.id2label
    names = [id2label[i] for i in range(len(id2label))]
    mapping = intent.labels or {n: n for n in names if n in INTENT_LABELS}
    to_labels = label_matrix(names, mapping, INTENT_LABELS, "enrich.model.intent.labels")
    version = str(getattr(network.config, "_commit_hash", None) or Path(path).name)
    log.info("intent model %s (%s) on %s/%s", intent.id, version, device, dtype)
    classifier = IntentClassifier(tokenizer, network.to(device).eval(), to_labels,
                                  intent.input_prefix)  # fmt: skip
    return classifier, version


def _intent_head_path(settings: SentimentModelSettings) -> Path | None:
    """The intent head to load, if any (see `IntentModelSettings`)."""
    if settings.kind != "encoder-head" or settings.intent.kind != "encoder-head":
        return None
    if settings.intent.head:
        return Path(settings.intent.head)
    bundled = settings.head is None and settings.path is None
    return DEFAULT_INTENT_HEAD if bundled else None


def _prefix(settings: SentimentModelSettings) -> str:
    if settings.input_prefix is not None:
        return settings.input_prefix
    return "query: " if settings.kind == "encoder-head" else ""


__all__ = ["DEFAULT_ENCODER", "ModelLoadError", "load_model"]
