"""One intra-op thread per CPU read (``serial_reads``), scoped as tightly as torch allows.

A read's ops are small (∝ flips, or steps of ``STEP`` elements), and torch parallelizes some of them from ~4K
elements (log1p, floor: their grain size is far below the 32K of most ops). On a shared, loaded CPU every such
OpenMP fork/join waited for a preempted worker, 20-50 ms each: sparse reads were 10-100x slower with 2 threads;
on an idle CPU one thread costs them nothing, since steps are too small for a second thread to pay off. Torch
has no per-op or per-call thread setting, so the guard sets the process-wide count: only for CPU data, not at
all when torch already uses one thread, re-entrant and thread-safe (the first reader in saves the count, the
last one out restores it, in ``finally``), and switchable off with ``set_serial_reads(False)``. Meanwhile other
Python threads' new parallel regions may run on one thread too (the count is global in torch).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

_serial_lock = threading.Lock()
_serial_depth = 0
_serial_saved = 0
_serial_enabled = True


def set_serial_reads(enabled: bool) -> None:
    """Whether CPU reads run on one intra-op thread (default True; see the module doc for why)."""
    global _serial_enabled
    _serial_enabled = bool(enabled)


@contextmanager
def serial_reads(device: torch.device) -> Iterator[None]:
    """One intra-op thread for a CPU read, restored afterwards; re-entrant and safe across Python threads."""
    global _serial_depth, _serial_saved
    if device.type != "cpu" or not _serial_enabled:
        yield
        return
    with _serial_lock:
        if _serial_depth == 0:
            _serial_saved = torch.get_num_threads()
            if _serial_saved > 1:
                torch.set_num_threads(1)
        _serial_depth += 1
    try:
        yield
    finally:
        with _serial_lock:
            _serial_depth -= 1
            if _serial_depth == 0 and _serial_saved > 1:
                torch.set_num_threads(_serial_saved)
