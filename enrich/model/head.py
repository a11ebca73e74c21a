"""The heads: linear layers over mean-pooled encoder embeddings — the sentiment head, with
the encoder's fine-tuning adapter when the encoder was fine-tuned, and the intent head
(no adapter: it reads the embeddings of the encoder as the sentiment head's adapter left it).

Stored as safetensors: `weight` [labels, hidden] and `bias` [3] (a few KB), plus the adapter's
low-rank factors (`<layer path>.lora_a` / `.lora_b`, float16; see `enrich.model.adapter`),
with metadata (labels, pooling, input prefix, encoder, version). A JSON file next to it
records the training command, the data and the validation metrics. Input standardisation
is folded into the weights, so the head loads as `nn.Linear` and nothing else; the
adapter is merged into the encoder's weights at load.
"""

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from enrich.model.adapter import Adapter
from enrich.model.datasets import LABELS

DEFAULT_HEAD = Path(__file__).parent / "heads" / "e5-small-sentiment-fr.safetensors"
DEFAULT_INTENT_HEAD = Path(__file__).parent / "heads" / "e5-small-intent-fr.safetensors"


def save_head(
    path: Path,
    head: nn.Linear,
    metadata: dict[str, str],
    adapter: Adapter | None = None,
    labels: Sequence[str] = LABELS,
) -> str:
    """Write the head (and adapter); returns its version (`head-<sha256 prefix of every
    tensor, in name order>`)."""
    from safetensors.torch import save_file

    tensors = {"weight": head.weight.detach().float().contiguous(),
               "bias": head.bias.detach().float().contiguous(), **(adapter or {})}  # fmt: skip
    digest = hashlib.sha256(b"".join(
        name.encode() + tensors[name].cpu().view(torch.uint8).numpy().tobytes()
        for name in sorted(tensors)))  # fmt: skip
    version = f"head-{digest.hexdigest()[:8]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={**metadata, "version": version,
                                            "labels": json.dumps(list(labels))})  # fmt: skip
    return version


def load_head(
    path: Path, labels: Sequence[str] = LABELS
) -> tuple[nn.Linear, dict[str, str], Adapter]:
    """The head, its metadata and its adapter (empty for a head over a frozen encoder);
    raises ValueError unless the head's labels are `labels`, in that order."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata() or {})
        weight, bias = handle.get_tensor("weight"), handle.get_tensor("bias")
        names = [k for k in handle.keys() if k not in ("weight", "bias")]  # noqa: SIM118
        adapter = {name: handle.get_tensor(name) for name in names}
    if json.loads(metadata.get("labels", "[]")) != list(labels):
        raise ValueError(f"{path}: head labels must be {list(labels)}")
    head = nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        head.weight.copy_(weight)
        head.bias.copy_(bias)
    return head.eval(), metadata, adapter


def fit_head(
    features: torch.Tensor,
    labels: Sequence[int],
    weights: Sequence[float],
    weight_decay: float,
    max_iter: int = 300,
    seed: int = 0,
    n_labels: int = len(LABELS),
) -> nn.Linear:
    """Weighted, L2-regularised multinomial logistic regression (full-batch L-BFGS) on
    standardised features; deterministic for a given seed and input order."""
    torch.manual_seed(seed)
    x = features.float()
    mean, std = x.mean(0), x.std(0) + 1e-6
    x = (x - mean) / std
    y = torch.tensor(list(labels), dtype=torch.long)
    w = torch.tensor(list(weights), dtype=torch.float32)
    linear = nn.Linear(x.shape[1], n_labels)
    optimiser = torch.optim.LBFGS(linear.parameters(), max_iter=max_iter)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        losses = nn.functional.cross_entropy(linear(x), y, reduction="none")
        loss = (losses * w).sum() / w.sum() + weight_decay * linear.weight.pow(2).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimiser.step(closure)  # type: ignore[no-untyped-call]
    folded = nn.Linear(x.shape[1], n_labels)
    with torch.no_grad():
        folded.weight.copy_(linear.weight / std)
        folded.bias.copy_(linear.bias - (linear.weight / std) @ mean)
    return folded.eval()
