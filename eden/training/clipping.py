"""Weight clipping during retraining, after Stutz et al., "Bit Error Robustness for Energy-Efficient DNN
Accelerators" (MLSys 2021, §4.1): weights constrained to [−w_max, w_max] while training with bit errors.

Why it can help here: integer formats quantize each tensor with the scale max|w| / (2^(b−1) − 1), so a flip of a
high-order bit moves a weight by a fixed fraction of max|w|. A layer whose largest weight is an outlier (LeNet-5's
classifier.1: max|w| = 6.6 × its RMS) suffers flips far larger than its typical weight; clipping lowers max|w|, hence
the scale and every flip's size, and training under the clip spreads the function over more weights.

Stutz et al. clip every layer to one absolute w_max in networks with normalization layers, whose output does not
depend on a layer's weight scale. Networks without normalization (LeNet-5) have a different weight scale per layer,
so the bound here is relative: ``factor`` × the RMS of each layer's weights when clipping starts, then fixed for the
whole retraining (a bound re-measured after each clip would shrink without end).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from eden.datatypes import injectable_layers

#: Per-layer bound: qualified layer name → w_max.
ClipBounds = dict[str, float]


@torch.no_grad()
def clip_bounds(model: nn.Module, factor: float) -> ClipBounds:
    """``factor`` × the RMS of each injectable layer's weights (the layers whose weights live in DRAM)."""
    bounds: ClipBounds = {}
    for name, module in injectable_layers(model):
        w = getattr(module, "weight", None)
        if isinstance(w, torch.Tensor) and w.numel() > 0:
            bounds[name] = float(factor * w.detach().float().pow(2).mean().sqrt())
    return bounds


def clipped_weights(model: nn.Module, bounds: ClipBounds) -> list[tuple[torch.Tensor, float]]:
    """(weight tensor, bound) of each bounded layer: found once, as the optimizer updates the tensors in place."""
    pairs = []
    for name, module in injectable_layers(model):
        if name in bounds:
            w = module.weight
            assert isinstance(w, torch.Tensor)
            pairs.append((w, bounds[name]))
    return pairs


@torch.no_grad()
def clamp_all(pairs: list[tuple[torch.Tensor, float]]) -> None:
    """Clamp each weight tensor to ±its bound in place (no count: no host sync on the training step's path)."""
    for w, bound in pairs:
        w.clamp_(-bound, bound)


@torch.no_grad()
def count_and_clamp(pairs: list[tuple[torch.Tensor, float]]) -> int:
    """:func:`clamp_all`, returning how many weights were clamped (a host sync: not for every step)."""
    clamped = sum(int((w.abs() > bound).sum()) for w, bound in pairs)
    clamp_all(pairs)
    return clamped


def apply_clip(model: nn.Module, bounds: ClipBounds) -> int:
    """Clamp each bounded layer's weights to ±its bound in place; returns how many weights were clamped."""
    return count_and_clamp(clipped_weights(model, bounds))


def clip_callback(model: nn.Module, bounds: ClipBounds) -> Any:
    """The Lightning callback that clips before the first batch and after every optimizer step (Lightning's
    ``on_train_batch_end`` runs after the step), so every forward pass, with or without errors, sees clipped weights."""
    import pytorch_lightning as pl

    pairs = clipped_weights(model, bounds)

    class WeightClip(pl.Callback):
        clamped_at_start = 0

        def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            self.clamped_at_start = count_and_clamp(pairs)

        def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, *args: Any) -> None:
            clamp_all(pairs)

    return WeightClip()
