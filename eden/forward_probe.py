"""One batch-1 forward pass in eval mode without gradients, for hooks that read a model's layers.

Topology extraction (:mod:`eden.platforms.topology`) and data-type discovery (:mod:`eden.datatypes`) learn
layer shapes this way: hooks see each layer's real input, whatever the model's ``forward`` does in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn
    from torch.utils.hooks import RemovableHandle


def probe_forward(model: nn.Module, example_input: torch.Tensor, handles: Sequence[RemovableHandle] = ()) -> None:
    """Run ``example_input[:1]`` through ``model`` (eval mode, no grad); restore its mode and remove ``handles``.

    Both happen even when the forward pass raises, so a failed probe leaves the model as it was.
    """
    import torch

    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(example_input[:1])
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
