"""Value ranges of every data type on reliable memory, for zeroing implausible values (EDEN §5.2).

Recorded once on the trained baseline: weights' min/max, and IFMs' min/max over a sample of the training data.
A value read from approximate DRAM outside its range is then zeroed (or saturated, for comparison).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from eden.datatypes import DataType, injectable_layers

Ranges = dict[str, tuple[float, float]]


@torch.no_grad()
def record_value_ranges(
    model: nn.Module,
    data_types: list[DataType],
    loader: Iterable,
    *,
    max_samples: int,
    device: torch.device | str,
) -> Ranges:
    """min/max of each data type's values: weights directly, IFMs over up to ``max_samples`` inputs."""
    wanted = {d.key for d in data_types}
    ranges: Ranges = {}
    layers = dict(injectable_layers(model))
    for name, module in layers.items():
        key = f"{name}.weights"
        if key in wanted:
            w: torch.Tensor = module.weight.detach()  # type: ignore[operator]
            ranges[key] = (float(w.min()), float(w.max()))

    running: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}  # on the model's device: no host sync per batch

    def hook(name: str) -> Callable[[nn.Module, tuple[torch.Tensor, ...]], None]:
        def record(module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            key = f"{name}.ifm"
            x = args[0]
            lo, hi = x.min(), x.max()
            old = running.get(key)
            running[key] = (lo, hi) if old is None else (torch.minimum(old[0], lo), torch.maximum(old[1], hi))

        return record

    handles = [m.register_forward_pre_hook(hook(n)) for n, m in layers.items() if f"{n}.ifm" in wanted]
    was_training = model.training
    model.eval()
    seen = 0
    try:
        for x, _ in loader:
            model(x.to(device))
            seen += len(x)
            if seen >= max_samples:
                break
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    for key, (lo, hi) in running.items():
        ranges[key] = (float(lo), float(hi))
    return ranges
