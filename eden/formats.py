"""Storage formats: how a data type's values become the DRAM words whose bits the error models flip.

Every format turns a float tensor into *storage bytes* (a flat ``uint8`` tensor) and back. Bit ``k`` of
word ``w`` is storage bit ``w * bits + k`` (little-endian within a word, as torch stores multi-byte words
on every supported device), so byte ``j`` bit ``b`` is storage bit ``8 * j + b``. The engine flips bits in
those bytes; the layout maps storage bits to DRAM cells.

Integer formats use symmetric linear quantization with one per-tensor scale to [−2^(b−1), 2^(b−1)−1]
(EDEN paper §6 "numeric precision"): ``q = clamp(round(x / scale))``, ``scale = max|x| / (2^(b−1) − 1)``.
int4 packs two values per byte: element ``2i`` in the low nibble, ``2i+1`` in the high nibble.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from eden.config import FORMATS as FORMATS_ALLOWED
from eden.errors import ConfigError

FORMAT_NAMES: tuple[str, ...] = FORMATS_ALLOWED  # one list of names: the config schema's


@dataclass(frozen=True)
class Encoded:
    """A tensor stored as words: ``data`` holds the storage bytes (uint8, flat)."""

    data: torch.Tensor
    scale: float | None
    shape: tuple[int, ...]
    numel: int

    @property
    def n_bits(self) -> int:
        return self.data.numel() * 8


@dataclass(frozen=True)
class Format:
    """One storage format: word size in bits, and encode/decode to storage bytes."""

    name: str
    bits: int
    is_float: bool

    def scale_for(self, x: torch.Tensor) -> float:
        """The symmetric per-tensor scale of an integer format (1.0 for an all-zero tensor)."""
        qmax = 2 ** (self.bits - 1) - 1
        m = float(x.detach().abs().max()) if x.numel() else 0.0
        return m / qmax if m > 0 and m == m else 1.0

    def quantize(self, x: torch.Tensor, scale: float) -> torch.Tensor:
        """Integer codes in [−2^(b−1), 2^(b−1)−1] (int formats only), as int32."""
        lo, hi = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        return torch.clamp(torch.round(x.detach().float() / scale), lo, hi).to(torch.int32)

    def encode(self, x: torch.Tensor, scale: float | None = None) -> Encoded:
        """Values → storage bytes. Integer formats compute the scale unless one is given."""
        flat = x.detach().reshape(-1)
        shape, numel = tuple(x.shape), flat.numel()
        if self.is_float:
            dtype = FLOAT_DTYPES[self.name]
            data = flat.to(dtype).contiguous().view(torch.uint8)
            return Encoded(data.clone() if data.data_ptr() == flat.data_ptr() else data, None, shape, numel)
        s = self.scale_for(flat) if scale is None else float(scale)
        q = self.quantize(flat, s)
        if self.name == "int4":
            return Encoded(pack_int4(q), s, shape, numel)
        return Encoded(q.to(_INT_DTYPES[self.name]).view(torch.uint8), s, shape, numel)

    def codes(self, enc: Encoded) -> torch.Tensor:
        """Integer codes (int formats) or the stored float words reinterpreted as values (float formats)."""
        if self.is_float:
            return enc.data.view(FLOAT_DTYPES[self.name])[: enc.numel]
        if self.name == "int4":
            return unpack_int4(enc.data, enc.numel)
        return enc.data.view(_INT_DTYPES[self.name])

    def decode(self, enc: Encoded, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Storage bytes → values of ``dtype`` in the original shape."""
        c = self.codes(enc)
        if self.is_float:
            return c.to(dtype).reshape(enc.shape)
        assert enc.scale is not None
        return (c.to(dtype) * enc.scale).reshape(enc.shape)

    def roundtrip(self, x: torch.Tensor) -> torch.Tensor:
        """What the network sees when ``x`` is stored without errors (quantized for integer formats)."""
        return self.decode(self.encode(x), x.dtype if x.is_floating_point() else torch.float32)


def pack_int4(q: torch.Tensor) -> torch.Tensor:
    """int4 codes (any int dtype, values in [−8, 7]) → bytes, two per byte, low nibble first."""
    n = q.numel()
    nib = (q.reshape(-1).to(torch.int16) & 0xF).to(torch.uint8)
    if n % 2:
        nib = torch.cat([nib, nib.new_zeros(1)])
    pairs = nib.view(-1, 2)
    return pairs[:, 0] | (pairs[:, 1] << 4)


def unpack_int4(data: torch.Tensor, numel: int) -> torch.Tensor:
    """Bytes → int4 codes as int8 in [−8, 7] (sign-extended nibbles)."""
    lo = (data & 0xF).to(torch.int8)
    hi = (data >> 4).to(torch.int8)
    both = torch.stack([lo, hi], dim=1).reshape(-1)[:numel]
    return torch.where(both > 7, both - 16, both)


FLOAT_DTYPES: dict[str, torch.dtype] = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
_INT_DTYPES: dict[str, torch.dtype] = {"int8": torch.int8, "int16": torch.int16}

FORMATS: dict[str, Format] = {
    "int4": Format("int4", 4, False),
    "int8": Format("int8", 8, False),
    "int16": Format("int16", 16, False),
    "fp32": Format("fp32", 32, True),
    "fp16": Format("fp16", 16, True),
    "bf16": Format("bf16", 16, True),
}


def get_format(name: str, field: str = "fmt") -> Format:
    """The format called ``name``; an unknown name is a ConfigError listing the valid ones."""
    try:
        return FORMATS[name]
    except (KeyError, TypeError):
        raise ConfigError(field, name, FORMAT_NAMES) from None
