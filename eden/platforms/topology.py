"""A model's layer shapes as the platform models see them, found with forward hooks on a batch of 1.

Every layer is described as a (grouped) convolution so one traffic model serves conv, depthwise conv,
linear and pooling layers: a linear layer is a 1×1 convolution over its tokens, a pooling layer a
"convolution" without weights. Layer names are the modules' qualified names, so ``f"{name}.weights"``
and ``f"{name}.ifm"`` are the EDEN data-type keys of :mod:`eden.datatypes`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from eden.errors import ConfigError
from eden.forward_probe import probe_forward

if TYPE_CHECKING:
    import torch
    from torch import nn

LayerKind = Literal["conv", "depthwise", "linear", "pool"]

#: Module types found by their class name (torch.nn), mapped to the kind of layer they become.
_CONV_TYPES = ("Conv1d", "Conv2d")
_LINEAR_TYPES = ("Linear",)
_POOL_TYPES = ("MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d")


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One layer in forward order: a grouped convolution of an ``in_h×in_w×in_channels`` IFM.

    ``in_h``/``in_w`` are the IFM as stored in DRAM (unpadded); :meth:`padded` is the extent the
    convolution sweeps, for which ``out = (padded - kernel) // stride + 1`` holds.
    """

    name: str
    kind: LayerKind
    in_channels: int
    out_channels: int
    in_h: int
    in_w: int
    out_h: int
    out_w: int
    kernel_h: int
    kernel_w: int
    stride_h: int
    stride_w: int
    groups: int

    def __post_init__(self) -> None:
        for field in ("in_channels", "out_channels", "in_h", "in_w", "out_h", "out_w", "kernel_h"):
            if getattr(self, field) <= 0:
                raise ConfigError(f"layer.{field}", getattr(self, field), "a positive integer")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ConfigError("layer.groups", self.groups, "a divisor of in_channels and out_channels")

    @property
    def has_weights(self) -> bool:
        return self.kind != "pool"

    @property
    def window(self) -> int:
        """Inputs that feed one output value (the GEMM's K dimension)."""
        return self.kernel_h * self.kernel_w * self.in_channels // self.groups

    @property
    def weight_numel(self) -> int:
        return self.out_channels * self.window if self.has_weights else 0

    @property
    def ifm_numel(self) -> int:
        return self.in_channels * self.in_h * self.in_w

    @property
    def ofm_numel(self) -> int:
        return self.out_channels * self.out_h * self.out_w

    @property
    def macs(self) -> int:
        """Multiply-accumulates (pooling: one compare/add per window element)."""
        return self.ofm_numel * self.window

    def padded(self) -> tuple[int, int]:
        """(h, w) of the zero-padded IFM the kernel sweeps (padding, ceil_mode, dilation folded in)."""
        return (self.out_h - 1) * self.stride_h + self.kernel_h, (self.out_w - 1) * self.stride_w + self.kernel_w

    def gemm(self) -> tuple[int, int, int, int]:
        """(groups, M = output pixels, N = filters per group, K = window) of the equivalent GEMMs."""
        return self.groups, self.out_h * self.out_w, self.out_channels // self.groups, self.window


@dataclass(frozen=True)
class Topology:
    """A model's layers in forward order (hashable, so traffic results can be cached on it)."""

    layers: tuple[Layer, ...]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def digest(self) -> str:
        """Stable hash of the shapes (not the names): equal shapes share cached simulator results."""
        shapes = [{k: v for k, v in asdict(layer).items() if k != "name"} for layer in self.layers]
        return hashlib.sha256(json.dumps(shapes, sort_keys=True).encode()).hexdigest()[:16]

    def unique_weight_numel(self) -> int:
        return sum(layer.weight_numel for layer in self.layers)


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return (int(value[0]), int(value[-1])) if len(value) > 1 else (int(value[0]), 1)


def _spatial(shape: Sequence[int]) -> tuple[int, int, int]:
    """(channels, h, w) of a batch-1 activation of rank 2 (N, C), 3 (N, C, L) or 4 (N, C, H, W)."""
    if len(shape) == 4:
        return shape[1], shape[2], shape[3]
    if len(shape) == 3:
        return shape[1], shape[2], 1
    return shape[-1], 1, 1


def _layer_from_call(name: str, module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Layer | None:
    kind_name = type(module).__name__
    c_out, out_h, out_w = _spatial(tuple(y.shape))
    if kind_name in _LINEAR_TYPES:
        tokens = math.prod(x.shape[1:-1]) if x.dim() > 2 else 1
        return Layer(
            name=name,
            kind="linear",
            in_channels=int(x.shape[-1]),
            out_channels=int(y.shape[-1]),
            in_h=int(tokens),
            in_w=1,
            out_h=int(tokens),
            out_w=1,
            kernel_h=1,
            kernel_w=1,
            stride_h=1,
            stride_w=1,
            groups=1,
        )
    c_in, in_h, in_w = _spatial(tuple(x.shape))
    if kind_name in _CONV_TYPES:
        kh, kw = _pair(module.kernel_size)  # type: ignore[arg-type]
        sh, sw = _pair(module.stride)  # type: ignore[arg-type]
        groups = int(module.groups)  # type: ignore[arg-type]
        kind: LayerKind = "depthwise" if groups > 1 and groups == c_in else "conv"
    elif kind_name in _POOL_TYPES:
        if kind_name.startswith("Adaptive"):
            sh, sw = max(in_h // out_h, 1), max(in_w // out_w, 1)
            kh, kw = in_h - (out_h - 1) * sh, in_w - (out_w - 1) * sw
        else:
            kh, kw = _pair(module.kernel_size)  # type: ignore[arg-type]
            sh, sw = _pair(module.stride or module.kernel_size)  # type: ignore[arg-type]
        groups, kind = c_in, "pool"
    else:
        return None
    return Layer(
        name=name,
        kind=kind,
        in_channels=c_in,
        out_channels=c_out,
        in_h=in_h,
        in_w=in_w,
        out_h=out_h,
        out_w=out_w,
        kernel_h=kh,
        kernel_w=kw,
        stride_h=sh,
        stride_w=sw,
        groups=groups,
    )


def extract_topology(model: nn.Module, example_input: torch.Tensor | Sequence[int]) -> Topology:
    """The conv/linear/pooling layers of ``model`` in call order, from one batch-1 forward pass.

    ``example_input`` is a tensor (only its first sample is used) or an input shape with or without
    the batch dimension, e.g. ``(3, 224, 224)``. A module called twice contributes one layer per call
    (the second gets the suffix ``#2``) because each call moves its data through DRAM again.
    """
    import torch

    if not isinstance(example_input, torch.Tensor):
        shape = tuple(int(s) for s in example_input)
        example_input = torch.zeros((1, *shape) if len(shape) in (1, 3) else shape)
    found: list[Layer] = []
    calls: dict[str, int] = {}
    handles = []

    def hook(name: str) -> Callable[[nn.Module, tuple[torch.Tensor, ...], torch.Tensor], None]:
        def record(module: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            calls[name] = calls.get(name, 0) + 1
            label = name if calls[name] == 1 else f"{name}#{calls[name]}"
            layer = _layer_from_call(label, module, args[0], output)
            if layer is not None:
                found.append(layer)

        return record

    for name, module in model.named_modules():
        if type(module).__name__ in _CONV_TYPES + _LINEAR_TYPES + _POOL_TYPES:
            handles.append(module.register_forward_hook(hook(name)))
    probe_forward(model, example_input, handles)
    return Topology(tuple(found))
