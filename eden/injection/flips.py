"""What one read changed (``Flips``) and its bit-exact undo; byte/word helpers shared by the read paths."""

from __future__ import annotations

import torch

from eden.injection.threads import serial_reads

#: Elements per vectorized step of a read (torch's intra-op grain size for most ops; ~0.5 MB of temporaries).
STEP = 1 << 15

POPCOUNT = torch.tensor([bin(i).count("1") for i in range(256)], dtype=torch.int64)


class Flips:
    """What one read changed; ``restore_`` undoes it bit-exactly.

    Sparse reads keep, per step, the bytes they touched with their values before the step and the bits
    flipped there (``parts``; a cells draw lists every weak cell, with a zero mask where it held); dense
    reads keep the XOR mask.
    """

    def __init__(
        self,
        *,
        parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] | None = None,
        mask: torch.Tensor | None = None,
    ) -> None:
        self.parts = parts or []
        self.mask = mask

    def restore_(self, data: torch.Tensor) -> None:
        with serial_reads(data.device):
            if self.mask is not None:
                xor_by_steps(data, self.mask)
            for byte, orig, _ in reversed(self.parts):  # last step first: the earliest step saved the clean byte
                data.scatter_(0, byte, orig)

    def changed_bytes(self) -> torch.Tensor | None:
        """Storage bytes with at least one flipped bit, possibly repeated (sparse reads; None if dense)."""
        if self.mask is not None:
            return None
        kept = [byte[mask != 0] for byte, _, mask in self.parts]
        if not kept:
            return torch.empty(0, dtype=torch.int64)
        return kept[0] if len(kept) == 1 else torch.cat(kept)

    def count(self, data_after: torch.Tensor) -> int:
        """Number of flipped bits (diagnostics and tests; not on the fast path)."""
        clean = data_after.clone()
        self.restore_(clean)
        diff = clean ^ data_after
        return int(POPCOUNT.to(diff.device)[diff.long()].sum())


def xor_by_steps(data: torch.Tensor, mask: torch.Tensor, step: int = STEP) -> None:
    """``data ^= mask`` (flat uint8), as int64 words when both allow it, in steps that run inline."""
    a, b = as_words(data), as_words(mask)
    if a is None or b is None:
        a, b = data, mask  # unaligned: byte steps (8x more of them)
    for start in range(0, a.numel(), step):
        a[start : start + step].bitwise_xor_(b[start : start + step])


def as_words(data: torch.Tensor) -> torch.Tensor | None:
    """``data`` (flat uint8) viewed as int64 words, or None when its size or alignment does not allow it."""
    if data.numel() % 8 or data.storage_offset() % 8 or data.data_ptr() % 8:
        return None
    return data.view(torch.int64)
