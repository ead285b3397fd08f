"""Storage words of a network's data types beyond ``eden.formats``: a batch of IFMs, and single words.

``eden.formats`` stores one tensor. The injector also needs
- a *batch* of IFMs, each sample its own stored tensor (one read of the same DRAM region, EDEN §5.1: IFMs
  are written and read once per inference), with its own symmetric scale so a sample's values never depend
  on which other samples share its batch; int4 samples are padded to whole bytes so every sample occupies
  the same byte slot;
- the decoded value of a few words of a weight tensor (those a read flipped), so an eval-mode read of cached
  weights costs in proportion to the flips, not the tensor.
Both use exactly the arithmetic of ``Format.encode``/``decode`` (float32 quantization, float64 scale), so
a batch at BER 0 equals ``Format.roundtrip`` of each sample bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from eden.formats import Format, pack_int4, unpack_int4

_FLOAT = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
_INT = {"int4": torch.int8, "int8": torch.int8, "int16": torch.int16}


@dataclass
class StoredBatch:
    """``reads`` samples stored back to back: ``data`` flat uint8, ``slot_bytes`` per sample."""

    data: torch.Tensor
    reads: int
    numel: int
    slot_bytes: int
    scale: torch.Tensor | None  # (reads, 1) float32 for integer formats
    #: (reads, 1) smallest and largest clean value of each sample (integer formats: found while scaling)
    row_min: torch.Tensor | None = None
    row_max: torch.Tensor | None = None

    @property
    def region_bits(self) -> int:
        """Storage bits of one sample: the size of the DRAM region each read covers."""
        return self.slot_bytes * 8


def encode_batch(fmt: Format, x: torch.Tensor) -> StoredBatch:
    """Store each row of ``x`` (reads × numel) as its own tensor of ``fmt`` (fresh bytes; ``x`` untouched)."""
    reads, numel = x.shape
    if fmt.is_float:
        words = x.to(_FLOAT[fmt.name])
        if words.data_ptr() == x.data_ptr():
            words = words.clone()
        data = words.contiguous().view(torch.uint8).reshape(-1)
        return StoredBatch(data, reads, numel, data.numel() // max(reads, 1), None)
    qmax = 2 ** (fmt.bits - 1) - 1
    # max |x| as max(max x, -min x): two read-only passes and no |x| tensor, and the per-sample extremes let the
    # correction find the samples that hold out-of-range clean values (aminmax along a dim is ~10x slower on CPU)
    row_max = x.detach().amax(dim=1, keepdim=True)
    row_min = x.detach().amin(dim=1, keepdim=True)
    amax = torch.maximum(row_max, row_min.neg()).double()
    scale = torch.where((amax > 0) & (amax == amax), amax / qmax, torch.ones_like(amax)).float()
    codes = (x.detach().float() / scale).round_().clamp_(-qmax - 1, qmax).to(_INT[fmt.name])
    if fmt.name == "int4":
        if numel % 2:
            codes = torch.nn.functional.pad(codes, (0, 1))
        data = pack_int4(codes)
    else:
        data = codes.view(torch.uint8).reshape(-1)
    return StoredBatch(data, reads, numel, data.numel() // max(reads, 1), scale, row_min, row_max)


def decode_batch(fmt: Format, batch: StoredBatch, dtype: torch.dtype) -> torch.Tensor:
    """The (reads × numel) values of a stored batch."""
    if fmt.is_float:
        return batch.data.view(_FLOAT[fmt.name]).view(batch.reads, -1).to(dtype)
    assert batch.scale is not None
    if fmt.name == "int4":
        padded = batch.slot_bytes * 2
        codes = unpack_int4(batch.data, batch.reads * padded).view(batch.reads, padded)[:, : batch.numel]
    else:
        codes = batch.data.view(_INT[fmt.name]).view(batch.reads, batch.numel)
    return codes.to(dtype).mul_(batch.scale.to(dtype))


def words_of_bytes(fmt: Format, byte: torch.Tensor, numel: int) -> torch.Tensor:
    """Indices of the words that share storage bytes ``byte`` (duplicates possible)."""
    if fmt.bits == 4:
        words = torch.cat([byte * 2, byte * 2 + 1])
        return words[words < numel]
    return torch.div(byte, fmt.bits // 8, rounding_mode="floor")


def decode_words(
    fmt: Format, data: torch.Tensor, scale: float | None, words: torch.Tensor, dtype: torch.dtype
) -> torch.Tensor:
    """Decoded values of words ``words`` of one stored tensor (``Format.decode`` restricted to them)."""
    if fmt.is_float:
        return data.view(_FLOAT[fmt.name]).index_select(0, words).to(dtype)
    assert scale is not None
    if fmt.name == "int4":
        byte = data.index_select(0, words >> 1)
        nib = ((byte >> ((words & 1) * 4).to(torch.uint8)) & 0xF).to(torch.int8)
        codes = torch.where(nib > 7, nib - 16, nib)
    else:
        codes = data.view(_INT[fmt.name]).index_select(0, words)
    return codes.to(dtype) * scale


_VIEW = {8: torch.uint8, 16: torch.int16, 32: torch.int32}


def raw_words(fmt: Format, data: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
    """The stored bit patterns of ``words`` as non-negative int64 (bit k of the word = bit k of the value)."""
    if fmt.bits == 4:
        return ((data.index_select(0, words >> 1) >> ((words & 1) * 4).to(torch.uint8)) & 0xF).to(torch.int64)
    raw = data.view(_VIEW[fmt.bits]).index_select(0, words).to(torch.int64)
    return raw & ((1 << fmt.bits) - 1)


_SIGNED = {8: torch.int8, 16: torch.int16, 32: torch.int32}


def decode_flipped(
    fmt: Format, data: torch.Tensor, words: torch.Tensor, mask: torch.Tensor, scale: float | None, dtype: torch.dtype
) -> torch.Tensor:
    """Values of words ``words`` of one stored tensor with the bits ``mask`` (int64, per word) flipped:
    ``decode_raw(fmt, raw_words(fmt, data, words) ^ mask, scale, dtype)``, bit for bit, in about half the ops for
    whole-byte words (the stored words viewed as signed integers of their width, two's complement as decoded)."""
    if fmt.bits == 4:
        return decode_raw(fmt, raw_words(fmt, data, words) ^ mask, scale, dtype)
    signed = _SIGNED[fmt.bits]
    w = data.view(signed).index_select(0, words).bitwise_xor_(mask.to(signed))  # to(): wraps, as the bits are
    if fmt.is_float:
        return w.view(_FLOAT[fmt.name]).to(dtype)
    assert scale is not None
    return w.to(dtype) * scale


def decode_raw(fmt: Format, raw: torch.Tensor, scale: float | None, dtype: torch.dtype) -> torch.Tensor:
    """Values of bit patterns ``raw`` (non-negative int64 of ``fmt.bits`` bits), as ``Format.decode`` gives them."""
    signed = raw - ((raw >> (fmt.bits - 1)) & 1) * (1 << fmt.bits)  # two's complement sign extension
    if fmt.is_float:
        return signed.to(_VIEW[fmt.bits] if fmt.bits == 32 else torch.int16).view(_FLOAT[fmt.name]).to(dtype)
    assert scale is not None
    return signed.to(dtype) * scale
