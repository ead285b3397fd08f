"""Device test data: per-cell failure counts over R reads at one operating point, its file format and a generator.

A DRAM tester (EDEN §4 used an FPGA-based one) writes a data pattern to a region, reads it back ``R`` times at
one (VDD, tRCD) operating point and counts, per cell, how many reads returned the wrong bit. That count array is
what ``eden.injection.fitting`` fits the error models to.

File format (``numpy.savez``; ``DeviceData.save`` writes it, ``DeviceData.load`` validates it):

=============== ========================= =====================================================================
key             type                      meaning
=============== ========================= =====================================================================
``counts``      2-D integer array         failures per cell, rows (wordlines) × bitlines, each in [0, reads]
``reads``       integer scalar ≥ 1        R, the number of reads per cell
``stored``      2-D 0/1 array (optional)  the bit each cell held during the test (needed to fit EM3)
``vdd``         float scalar (optional)   supply voltage of the operating point, V (informational)
``trcd_ns``     float scalar (optional)   activation latency of the operating point, ns (informational)
``temperature_c`` float scalar (optional) temperature, °C (informational)
=============== ========================= =====================================================================

Any other key is rejected (a misspelt ``count`` must not be silently ignored).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eden.dram.geometry import Geometry
from eden.errors import ConfigError
from eden.injection.engine import WeakCellMap
from eden.injection.error_model import ErrorModel
from eden.layout import Layout

REQUIRED_KEYS = ("counts", "reads")
OPTIONAL_KEYS = ("stored", "vdd", "trcd_ns", "temperature_c")
_META_KEYS = ("vdd", "trcd_ns", "temperature_c")


@dataclass(frozen=True)
class DeviceData:
    """Failure counts of a rows × bitlines region over ``reads`` reads (validated on construction)."""

    counts: torch.Tensor  # int64, rows × bitlines
    reads: int
    stored: torch.Tensor | None = None  # bool, rows × bitlines
    meta: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        reads = self.reads
        if isinstance(reads, bool) or not isinstance(reads, int) or reads < 1:
            raise ConfigError("device_data.reads", reads, "an integer >= 1")
        c = self.counts
        if not isinstance(c, torch.Tensor) or c.dim() != 2 or c.numel() == 0:
            shape = tuple(c.shape) if isinstance(c, torch.Tensor) else type(c).__name__
            raise ConfigError("device_data.counts", f"shape {shape}", "a non-empty 2-D array (rows x bitlines)")
        if c.dtype.is_floating_point or c.dtype in (torch.bool, torch.complex64, torch.complex128):
            raise ConfigError("device_data.counts", f"dtype {c.dtype}", "an integer array")
        lo, hi = int(c.min()), int(c.max())
        if lo < 0 or hi > reads:
            raise ConfigError("device_data.counts", f"range [{lo}, {hi}]", f"integers in [0, reads={reads}]")
        if self.stored is not None:
            s = self.stored
            if not isinstance(s, torch.Tensor) or tuple(s.shape) != tuple(c.shape):
                shape = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
                raise ConfigError("device_data.stored", f"shape {shape}", f"an array of 0/1 of shape {tuple(c.shape)}")
            if s.dtype != torch.bool:
                if s.dtype.is_floating_point or bool(((s != 0) & (s != 1)).any()):
                    raise ConfigError("device_data.stored", f"dtype {s.dtype}", "bits: a bool or 0/1 integer array")
                object.__setattr__(self, "stored", s != 0)
        object.__setattr__(self, "counts", c.to(torch.int64))

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.counts.shape[0]), int(self.counts.shape[1]))

    @property
    def ber(self) -> float:
        """Observed bit error rate per read."""
        return float(self.counts.sum()) / (self.counts.numel() * self.reads)

    # --- file format ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        arrays: dict[str, Any] = {"counts": self.counts.numpy(), "reads": np.int64(self.reads)}
        if self.stored is not None:
            arrays["stored"] = self.stored.numpy().astype(np.uint8)
        arrays.update({k: np.float64(v) for k, v in self.meta.items()})
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> DeviceData:
        """Read and validate a device-data ``.npz`` file (format in the module docstring)."""
        try:
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as npz:  # closed even when bad
                arrays = {k: npz[k] for k in npz.files}
        except FileNotFoundError:
            raise ConfigError("device_data", str(path), "an existing .npz file") from None
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise ConfigError("device_data", str(path), f"a numpy.savez archive ({type(exc).__name__})") from None
        return cls.from_arrays(arrays)

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any]) -> DeviceData:
        allowed = (*REQUIRED_KEYS, *OPTIONAL_KEYS)
        for key in arrays:
            if key not in allowed:
                raise ConfigError(f"device_data.{key}", "(unknown key)", f"the keys {', '.join(allowed)}")
        for key in REQUIRED_KEYS:
            if key not in arrays:
                raise ConfigError(f"device_data.{key}", None, "a value (key is required)")
        reads_arr = np.asarray(arrays["reads"])
        if reads_arr.size != 1 or reads_arr.dtype.kind not in "iu":
            raise ConfigError("device_data.reads", reads_arr.tolist(), "one integer >= 1")
        counts = np.asarray(arrays["counts"])
        if counts.dtype.kind not in "iu":
            raise ConfigError("device_data.counts", f"dtype {counts.dtype}", "an integer array")
        stored = arrays.get("stored")
        stored_t = None
        if stored is not None:
            stored_np = np.asarray(stored)
            if stored_np.dtype.kind not in "biu":
                raise ConfigError("device_data.stored", f"dtype {stored_np.dtype}", "bits: a bool or 0/1 integer array")
            stored_t = torch.from_numpy(stored_np.astype(np.int64))
        meta: dict[str, float] = {}
        for key in _META_KEYS:
            if key in arrays:
                value = np.asarray(arrays[key])
                if value.size != 1 or value.dtype.kind not in "iuf":
                    raise ConfigError(f"device_data.{key}", value.tolist(), "one number")
                meta[key] = float(value.reshape(-1)[0])
        return cls(
            counts=torch.from_numpy(counts.astype(np.int64)),
            reads=int(reads_arr.reshape(-1)[0]),
            stored=stored_t,
            meta=meta,
        )


def generate_device_data(
    model: ErrorModel,
    *,
    rows: int,
    bitlines: int,
    reads: int,
    generator: torch.Generator,
    stored: torch.Tensor | None = None,
) -> DeviceData:
    """Synthetic test data from ``model``: ``reads`` reads of a rows × bitlines region through the injection engine.

    The region is one bank of ``rows`` wordlines of ``bitlines`` cells (row-major storage bits, the word-aligned
    layout), so the weak cells, weak lines and per-read failures are exactly those injection would produce for
    the model's seed. ``stored`` (rows × bitlines bits) is the test pattern; random balanced bits when omitted.
    """
    if isinstance(reads, bool) or not isinstance(reads, int) or reads < 1:
        raise ConfigError("device_data.reads", reads, "an integer >= 1")
    geometry = Geometry(banks=1, rows_per_bank=rows, row_bits=bitlines)
    n_bits = rows * bitlines
    if stored is None:
        stored = torch.randint(0, 2, (rows, bitlines), generator=generator, dtype=torch.uint8).bool()
    elif tuple(stored.shape) != (rows, bitlines):
        raise ConfigError("device_data.stored", f"shape {tuple(stored.shape)}", f"shape {(rows, bitlines)}")
    bits = stored.reshape(-1, 8).to(torch.uint8)
    clean = (bits << torch.arange(8, dtype=torch.uint8)).sum(1, dtype=torch.uint8)
    wmap = WeakCellMap(model, Layout(geometry=geometry), n_bits, word_bits=8)
    data = clean.clone()
    counts = torch.zeros(n_bits, dtype=torch.int64)
    for _ in range(reads):
        flips = wmap.corrupt_(data, generator)
        diff = data ^ clean
        byte = diff.nonzero().squeeze(1)
        if byte.numel():
            d = diff.index_select(0, byte)
            for b in range(8):
                counts.index_add_(0, byte * 8 + b, ((d >> b) & 1).to(torch.int64))
        flips.restore_(data)
    return DeviceData(counts=counts.view(rows, bitlines), reads=reads, stored=stored.bool())
