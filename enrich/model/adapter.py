"""Low-rank (LoRA) adapters: how the default encoder is fine-tuned and shipped in a few
hundred KB instead of a 470 MB copy of the weights.

While training, `attach` wraps every `nn.Linear` of the encoder in a `LowRankLinear`
(frozen base weight W, trainable factors A [r, in] and B [out, r]; output
`W x + s B A x`, s = `SCALE`). `detach` puts the plain layers back and returns the factors
(s folded into B), keyed by the layer's module path (`<path>.lora_a`, `<path>.lora_b`).
`merge` adds `B A` to each named layer's weight: the result is an ordinary transformers
model, so inference, bf16, fp16 and int8 run the same code with or without an adapter.
"""

import math

import torch
from torch import nn

Adapter = dict[str, torch.Tensor]
A_SUFFIX, B_SUFFIX = ".lora_a", ".lora_b"
SCALE = 2.0  # LoRA's alpha / rank, with the usual alpha = 2 × rank


class LowRankLinear(nn.Module):
    """`base(x) + s (x Aᵀ) Bᵀ`; B starts at zero, so the wrapped layer starts unchanged."""

    def __init__(self, base: nn.Linear, rank: int, generator: torch.Generator) -> None:
        super().__init__()
        self.base = base
        scale = 1.0 / math.sqrt(base.in_features)
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features, generator=generator) * scale)
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output: torch.Tensor = self.base(x) + (x @ self.lora_a.t()) @ self.lora_b.t() * SCALE
        return output


def attach(network: nn.Module, rank: int, seed: int) -> list[nn.Parameter]:
    """Freezes `network`, wraps each of its Linear layers; returns the trainable factors."""
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    generator = torch.Generator().manual_seed(seed)
    targets = [(name, m) for name, m in network.named_modules() if isinstance(m, nn.Linear)]
    trainable: list[nn.Parameter] = []
    for name, linear in targets:
        wrapped = LowRankLinear(linear, rank, generator)
        _set(network, name, wrapped)
        trainable += [wrapped.lora_a, wrapped.lora_b]
    return trainable


def detach(network: nn.Module, dtype: torch.dtype = torch.float16) -> Adapter:
    """Unwraps every `LowRankLinear` (the base weights are untouched); returns the factors,
    cast to `dtype` (float16 by default: what is shipped)."""
    wrapped = [(n, m) for n, m in network.named_modules() if isinstance(m, LowRankLinear)]
    adapter: Adapter = {}
    for name, module in wrapped:
        adapter[name + A_SUFFIX] = module.lora_a.detach().to(dtype).contiguous()
        adapter[name + B_SUFFIX] = (module.lora_b.detach() * SCALE).to(dtype).contiguous()
        _set(network, name, module.base)
    return adapter


def merge(network: nn.Module, adapter: Adapter) -> None:
    """Adds each factor pair's product to its layer's weight (in float32, then cast to the
    weight's dtype). Raises ValueError for a path the network lacks or a shape mismatch."""
    modules = dict(network.named_modules())
    for key in sorted(k for k in adapter if k.endswith(A_SUFFIX)):
        name = key[: -len(A_SUFFIX)]
        layer = modules.get(name)
        if not isinstance(layer, nn.Linear) or name + B_SUFFIX not in adapter:
            raise ValueError(f"adapter layer {name!r} is not a Linear layer of this encoder")
        delta = adapter[name + B_SUFFIX].float() @ adapter[key].float()
        if delta.shape != layer.weight.shape:
            raise ValueError(f"adapter layer {name!r}: {tuple(delta.shape)} does not fit "
                             f"{tuple(layer.weight.shape)}")  # fmt: skip
        with torch.no_grad():
            layer.weight.copy_((layer.weight.float() + delta.to(layer.weight.device)).to(
                layer.weight.dtype))  # fmt: skip


def _set(network: nn.Module, path: str, module: nn.Module) -> None:
    parent, _, attribute = path.rpartition(".")
    setattr(network.get_submodule(parent) if parent else network, attribute, module)
