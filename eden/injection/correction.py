"""Correction of implausible values read from approximate DRAM (EDEN §5.2).

While the baseline trains on reliable memory, each data type's value range [lo, hi] is recorded
(``eden.ranges``). A value read from approximate DRAM outside that range is implausible: ``zero`` sets it to 0
(the paper's rule; in hardware a one-cycle bound check on the FP exponent in the memory controller),
``saturate`` clamps it to the range (the paper's comparison point, which lost 7-8% accuracy), ``off`` keeps it.

The bounds are widened to the format's grid so a clean stored value is never touched: quantization (integer
codes with their scale, or rounding to fp16/bf16) is monotone, so every clean x in [lo, hi] decodes into
[Q(lo), Q(hi)]; the bounds used are [min(lo, Q(lo)), max(hi, Q(hi))]. NaN is out of every range (zeroed);
``saturate`` maps NaN to 0 as well, having no side to clamp to.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import torch

from eden.config import CORRECTIONS
from eden.errors import check_choice
from eden.formats import FLOAT_DTYPES, Format


def check_correction(mode: str) -> str:
    return str(check_choice("correction", mode, CORRECTIONS))


@functools.lru_cache(maxsize=4096)
def _ends(lo: float, hi: float, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, ...]:
    """[lo, hi] as float32 (the quantizer's arithmetic) and each end in ``dtype``: made once per range and device,
    as every read of a data type needs them (a tensor from Python values costs more than the arithmetic)."""
    ends = torch.tensor([lo, hi], dtype=torch.float32, device=device)
    raw = ends.to(dtype)
    return ends, raw[0], raw[1]


@functools.lru_cache(maxsize=4096)
def _float_bounds(
    name: str, lo: float, hi: float, dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    ends, raw_lo, raw_hi = _ends(lo, hi, dtype, device)
    q = ends.to(FLOAT_DTYPES[name]).to(dtype)
    return torch.minimum(raw_lo, q[0]), torch.maximum(raw_hi, q[1])


def grid_bounds(
    fmt: Format, lo: float, hi: float, scale: torch.Tensor | float | None, dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Bounds (tensors of ``dtype``, broadcastable against the decoded values) that contain every clean value.

    ``scale`` is the integer format's scale: a float for one tensor, or a (reads, 1) tensor of per-read scales.
    The returned tensors are shared between calls: read them, never write to them.
    """
    device = torch.device(device)
    if fmt.is_float:
        return _float_bounds(fmt.name, lo, hi, dtype, device)
    assert scale is not None
    ends, raw_lo, raw_hi = _ends(lo, hi, dtype, device)
    qmax = 2 ** (fmt.bits - 1) - 1
    s = scale if isinstance(scale, torch.Tensor) else torch.tensor(scale, dtype=torch.float32, device=device)
    # the same float32 arithmetic as the encode/decode of the values themselves
    codes = (ends / s).round_().clamp_(-qmax - 1, qmax)
    q = codes.to(dtype).mul_(s.to(dtype)) if isinstance(scale, torch.Tensor) else codes.to(dtype) * float(scale)
    if q.dim() == 2:  # per-read scales: q is (reads, 2)
        return torch.minimum(raw_lo, q[:, :1]), torch.maximum(raw_hi, q[:, 1:])
    return torch.minimum(raw_lo, q[0]), torch.maximum(raw_hi, q[1])


def correct_(values: torch.Tensor, mode: str, lo: torch.Tensor, hi: torch.Tensor, *, may_be_nan: bool) -> torch.Tensor:
    """Apply the correction ``mode`` to decoded ``values`` in place and return them."""
    if mode == "zero":
        plausible = (values >= lo).logical_and_(values <= hi)  # NaN compares False: implausible
        if may_be_nan:
            return values.masked_fill_(plausible.logical_not_(), 0)
        # finite values (integer formats): multiplying by the mask is ~3x faster than masked_fill_ on CPU;
        # + 0.0 turns the −0.0 of a zeroed negative value into +0.0, as masked_fill_ would write
        return values.mul_(plausible).add_(0.0)
    if mode == "saturate":
        if may_be_nan:
            values.nan_to_num_(nan=0.0)
        return torch.clamp(values, lo, hi, out=values)
    return values


class Corrector:
    """The correction of one injector: its mode, format and the recorded range of each data type."""

    def __init__(self, fmt: Format, mode: str, ranges: Mapping[str, tuple[float, float]] | None) -> None:
        self.fmt, self.mode = fmt, check_correction(mode)
        self.ranges = dict(ranges) if ranges is not None else None

    @property
    def off(self) -> bool:
        return self.mode == "off"

    def range_of(self, key: str) -> tuple[float, float]:
        assert self.ranges is not None
        return self.ranges[key]

    def bounds(
        self, key: str, scale: torch.Tensor | float | None, dtype: torch.dtype, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Grid bounds of data type ``key`` (None when correction is off)."""
        if self.off:
            return None
        lo, hi = self.range_of(key)
        return grid_bounds(self.fmt, lo, hi, scale, dtype, device)

    def apply(
        self,
        key: str,
        values: torch.Tensor,
        scale: torch.Tensor | float | None,
        dtype: torch.dtype,
        bounds: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Correct decoded ``values`` of data type ``key`` in place (``bounds`` when already computed)."""
        if self.off:
            return values
        b = bounds if bounds is not None else self.bounds(key, scale, dtype, values.device)
        assert b is not None
        return correct_(values, self.mode, *b, may_be_nan=self.fmt.is_float)
