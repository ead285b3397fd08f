"""EDEN's *data types*: one layer's weights or one layer's input feature maps (IFMs).

Each is characterized, mapped to DRAM and corrupted on its own. The order is the forward order of
the layers, weights before IFMs of the same layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from eden.forward_probe import probe_forward

if TYPE_CHECKING:
    import torch
    from torch import nn

Kind = Literal["weights", "ifm"]
KINDS: tuple[Kind, ...] = ("weights", "ifm")

#: Layers whose weights and IFMs EDEN stores in DRAM (the ones carrying the MACs).
INJECTABLE_LAYER_TYPES: tuple[str, ...] = ("Conv1d", "Conv2d", "Conv3d", "Linear")


@dataclass(frozen=True)
class DataType:
    """One EDEN data type of a model."""

    layer: str
    kind: Kind
    shape: tuple[int, ...]
    numel: int

    @property
    def key(self) -> str:
        """Stable identifier used in configs, mappings and MLflow metric names."""
        return f"{self.layer}.{self.kind}"


def injectable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(qualified name, module) of every layer whose weights/IFMs live in DRAM, in registration order."""
    return [(n, m) for n, m in model.named_modules() if type(m).__name__ in INJECTABLE_LAYER_TYPES]


def model_data_types(model: nn.Module, example_input: torch.Tensor) -> list[DataType]:
    """The model's data types in forward order, found by running ``example_input`` (batch of 1) once."""
    from torch.nn.modules.lazy import LazyModuleMixin

    if any(isinstance(m, LazyModuleMixin) for m in model.modules()):
        probe_forward(model, example_input)  # materialize lazy layers: their class (and injectability) changes
    layers = dict(injectable_layers(model))
    seen: list[DataType] = []
    hooks = []

    def hook(name: str) -> Callable[[nn.Module, tuple[torch.Tensor, ...]], None]:
        def record(module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            if any(d.layer == name for d in seen):
                return
            w: torch.Tensor = module.weight  # type: ignore[assignment]
            seen.append(DataType(name, "weights", tuple(w.shape), w.numel()))
            x = args[0]
            shape = tuple(x.shape[1:])
            numel = int(x[0].numel())
            seen.append(DataType(name, "ifm", shape, numel))

        return record

    for name, module in layers.items():
        hooks.append(module.register_forward_pre_hook(hook(name)))
    probe_forward(model, example_input, hooks)
    return seen
