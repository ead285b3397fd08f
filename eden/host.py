"""The host facts trained weights depend on, so a run says where its numbers come from.

Two hosts sold as the same CPU, with the same torch, thread count and code, trained different LeNet-5 baselines
(docs/science.md §3), most likely because torch's math libraries pick kernels by the CPU's family and instruction
set (not isolated further: the earlier host's family was not recorded, which is why it is now). Every MLflow run is
tagged with these facts, and the benches print them, so results that should agree bit for bit can be told apart
from results that agree only within the seed spread.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

CPUINFO = Path("/proc/cpuinfo")


def cpu_name(cpuinfo: str | None = None) -> str:
    """``"AMD EPYC (family 26, model 2)"`` from /proc/cpuinfo's first processor (or the text given); elsewhere what
    :func:`platform.processor` says, else ``"unknown CPU"``."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text()
        except OSError:
            cpuinfo = ""
    fields: dict[str, str] = {}
    for line in cpuinfo.split("\n\n", 1)[0].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    name = fields.get("model name") or platform.processor() or "unknown CPU"
    if "cpu family" in fields and "model" in fields:
        return f"{name} (family {fields['cpu family']}, model {fields['model']})"
    return name


def training_environment() -> dict[str, Any]:
    """Intra-op thread count and torch version: what the baseline's cache key holds (``baseline.environment``)."""
    import torch

    return {"intra_op_threads": torch.get_num_threads(), "torch": torch.__version__}


def host_tags() -> dict[str, str]:
    """MLflow tags of the host: its CPU and the training environment (``host.intra_op_threads``, ``host.torch``)."""
    return {"host.cpu": cpu_name(), **{f"host.{k}": str(v) for k, v in training_environment().items()}}
