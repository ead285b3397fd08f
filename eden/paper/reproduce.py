"""Reproduce EDEN's platform results (paper §7, Fig. 13/14) for the Table 3 networks torchvision defines.

``python -m eden.paper.reproduce [--platforms cpu,gpu,eyeriss,tpu] [--formats fp32,int8] [--write PATH]``

Each network is built on PyTorch's ``meta`` device (shapes only: no weights are allocated or downloaded) at the
input size of the data set the paper used (CIFAR-10 32×32 for ResNet101 and MobileNetV2; ImageNet 224×224 for the
others; AlexNet also at 224 because torchvision's ImageNet AlexNet does not fit 32×32 inputs). Every datum is
mapped to the operating point Table 3 gives for vendor A (coarse mapping: the whole module at nominal + ΔVDD,
nominal + ΔtRCD), and each platform reports DRAM energy reduction in both scaling modes and speedup.
SCALE-Sim results are cached per layer (see :mod:`eden.platforms.scalesim_runner`): the first run of the
accelerators takes minutes, later runs seconds.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eden.errors import ConfigError

#: Paper Table 3, vendor A: network → format → (ΔVDD V, ΔtRCD ns) of the coarse tolerable BER (<1% loss).
TABLE3: dict[str, dict[str, tuple[float, float]]] = {
    "resnet101": {"fp32": (-0.30, -5.5), "int8": (-0.30, -5.5)},
    "mobilenet_v2": {"fp32": (-0.25, -1.0), "int8": (-0.10, -1.0)},
    "vgg16": {"fp32": (-0.35, -6.0), "int8": (-0.35, -6.0)},
    "densenet201": {"fp32": (-0.25, -2.0), "int8": (-0.25, -2.0)},
    "squeezenet1_1": {"fp32": (-0.10, -1.0), "int8": (-0.10, -1.0)},
    "alexnet": {"fp32": (-0.30, -4.5), "int8": (-0.30, -4.5)},
}
#: Input (channels, h, w) and classes of the data set the paper evaluated each network on (EDEN.md baselines).
INPUTS: dict[str, tuple[tuple[int, int, int], int]] = {
    "resnet101": ((3, 32, 32), 10),  # CIFAR-10
    "mobilenet_v2": ((3, 32, 32), 10),  # CIFAR-10
    "vgg16": ((3, 224, 224), 1000),  # ImageNet
    "densenet201": ((3, 224, 224), 1000),  # ImageNet
    "squeezenet1_1": ((3, 224, 224), 1000),  # ImageNet
    "alexnet": ((3, 224, 224), 1000),  # paper: CIFAR-10; torchvision's AlexNet needs ≥ 63×63 inputs
}
#: Paper's reported numbers (EDEN.md "Headline results"); None where the paper gives no per-network value.
PAPER_AVERAGE = {"cpu": 0.21, "gpu": 0.37, "eyeriss": 0.31, "tpu": 0.32}
PAPER_LPDDR3_AVERAGE = 0.21
PAPER_SPEEDUP = {"cpu": 0.08, "gpu": 0.027}
PAPER_SPEEDUP_NOTES = {"resnet101": "~1%", "squeezenet1_1": "~1%"}
PAPER_REFERENCE_VDD = 1.2  # EDEN Fig. 13: CPU reduction = ΔVDD / 1.2 V
PLATFORM_NAMES = ("cpu", "gpu", "eyeriss", "tpu")
DEVICE = "ddr4_vendor_a"  # Table 3's module
BEGIN, END = "<!-- BEGIN GENERATED TABLE -->", "<!-- END GENERATED TABLE -->"


@dataclass(frozen=True)
class Row:
    network: str
    fmt: str
    dvdd: float
    dtrcd: float
    reduction: dict[str, dict[str, float]]  # platform → scaling → fraction
    speedup: dict[str, tuple[float, float]]  # platform → (speedup, ideal tRCD = 0 speedup)
    simulated: dict[str, str]  # accelerator → "simulated/total layers"


def shape_only_topology(network: str) -> Any:
    """The network's layers, built on the meta device (no memory, no weights, no download)."""
    import torch

    from eden.models.zoo import torchvision_model
    from eden.platforms.topology import extract_topology

    shape, classes = INPUTS[network]
    with torch.device("meta"):
        return extract_topology(torchvision_model(name=network, num_classes=classes), shape)


def load_platform(name: str, *, max_cycles: float | None, cache_dir: Path | None) -> Any:
    from eden import conf
    from eden.platforms.base import PLATFORMS

    params = conf.load("platform", name)
    if max_cycles is not None and "scalesim_max_cycles" in params:
        params["scalesim_max_cycles"] = max_cycles
    platform = PLATFORMS.build(params)
    if cache_dir is not None:
        platform.set_cache_root(cache_dir)
    return platform


def evaluate_row(network: str, fmt: str, platforms: Mapping[str, Any], topology: Any) -> Row:
    from eden.platforms.composition import uniform_mapping
    from eden.platforms.dram_costs import device_of

    device = device_of(DEVICE)
    dvdd, dtrcd = TABLE3[network][fmt]
    point = {"vdd": device.nominal.vdd + dvdd, "trcd": device.nominal.trcd + dtrcd}
    mapping = uniform_mapping(topology, point)
    reduction: dict[str, dict[str, float]] = {}
    speedup: dict[str, tuple[float, float]] = {}
    simulated: dict[str, str] = {}
    for name, platform in platforms.items():
        result = platform.evaluate(topology, mapping, device, data_format=fmt)
        reduction[name] = {s: result.reduction(s) for s in ("idd", "paper")}
        speedup[name] = (result.speedup, result.ideal_speedup)
        if hasattr(platform, "runner"):
            sims = sum(r.source == "scalesim" for r in result.layers)
            simulated[name] = f"{sims}/{len(result.layers)}"
            lp = platform.evaluate(topology, mapping, device, data_format=fmt, memory="lpddr3")
            reduction[f"{name}_lpddr3"] = {s: lp.reduction(s) for s in ("idd", "paper")}
    return Row(network, fmt, dvdd, dtrcd, reduction, speedup, simulated)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def markdown(rows: Sequence[Row], platforms: Sequence[str]) -> str:
    """Two tables (energy, speedup) and a summary of averages next to the paper's numbers."""
    lines = ["### DRAM energy reduction (ours `idd` / ours `paper` scaling; paper's value in brackets)", ""]
    head = ["network", "format", "ΔVDD", "ΔtRCD", *platforms]
    accel = [p for p in platforms if p in ("eyeriss", "tpu")]
    head += [f"{p} LPDDR3" for p in accel]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.network, r.fmt, f"{r.dvdd:+.2f} V", f"{r.dtrcd:+.1f} ns"]
        for p in platforms:
            ours = f"{pct(r.reduction[p]['idd'])} / {pct(r.reduction[p]['paper'])}"
            paper = pct(-r.dvdd / PAPER_REFERENCE_VDD) if p == "cpu" else "–"
            cells.append(f"{ours} [{paper}]")
        cells += [f"{pct(r.reduction[f'{p}_lpddr3']['idd'])} / {pct(r.reduction[f'{p}_lpddr3']['paper'])}"
                  for p in accel]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    speed = [p for p in platforms if p in ("cpu", "gpu", "eyeriss", "tpu")]
    lines += ["", "### Speedup from the reduced tRCD (ideal tRCD = 0 in brackets)", ""]
    head = ["network", "format", *speed, "paper"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.network, r.fmt]
        cells += [f"{pct(r.speedup[p][0] - 1)} [{pct(r.speedup[p][1] - 1)}]" for p in speed]
        cells.append(PAPER_SPEEDUP_NOTES.get(r.network, "–"))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "### Averages over the rows above vs the paper's averages", ""]
    lines += ["| platform | energy `idd` | energy `paper` | paper | speedup | paper speedup |", "|---" * 6 + "|"]
    for p in platforms:
        e_idd = sum(r.reduction[p]["idd"] for r in rows) / len(rows)
        e_pap = sum(r.reduction[p]["paper"] for r in rows) / len(rows)
        sp = sum(r.speedup[p][0] - 1 for r in rows) / len(rows)
        paper_sp = PAPER_SPEEDUP.get(p, 0.0)
        lines.append(f"| {p} | {pct(e_idd)} | {pct(e_pap)} | {pct(PAPER_AVERAGE[p])} | {pct(sp)} | {pct(paper_sp)} |")
    for p in accel:
        e_idd = sum(r.reduction[f"{p}_lpddr3"]["idd"] for r in rows) / len(rows)
        e_pap = sum(r.reduction[f"{p}_lpddr3"]["paper"] for r in rows) / len(rows)
        lines.append(f"| {p} + LPDDR3 | {pct(e_idd)} | {pct(e_pap)} | {pct(PAPER_LPDDR3_AVERAGE)} | – | 0.0% |")
    if any(r.simulated for r in rows):
        sims = "; ".join(f"{r.network}/{r.fmt} " + ", ".join(f"{k} {v}" for k, v in r.simulated.items())
                         for r in rows)  # fmt: skip
        lines += ["", f"Layers simulated by SCALE-Sim (the rest: analytical stand-in): {sims}."]
    return "\n".join(lines) + "\n"


def write_into(path: Path, table: str) -> None:
    """Replace the generated block of ``path`` (keeping the hand-written discussion), or create the file."""
    block = f"{BEGIN}\n{table}{END}"
    if path.exists() and BEGIN in (text := path.read_text()):
        path.write_text(re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# EDEN platform results: reproduction\n\n{block}\n")


def parse_list(value: str, allowed: Sequence[str], field: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    for item in items:
        if item not in allowed:
            raise ConfigError(field, item, allowed)
    return items


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--platforms", default=",".join(PLATFORM_NAMES))
    parser.add_argument("--networks", default=",".join(TABLE3))
    parser.add_argument("--formats", default="fp32,int8")
    parser.add_argument("--max-cycles", type=float, default=None, help="SCALE-Sim budget per layer (cycles)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache root (default: repository cache)")
    parser.add_argument("--write", type=Path, default=None, help="Markdown file to put the table into")
    args = parser.parse_args(argv)
    platforms = parse_list(args.platforms, PLATFORM_NAMES, "--platforms")
    networks = parse_list(args.networks, list(TABLE3), "--networks")
    formats = parse_list(args.formats, ["fp32", "int8"], "--formats")
    built = {p: load_platform(p, max_cycles=args.max_cycles, cache_dir=args.cache_dir) for p in platforms}
    rows: list[Row] = []
    start = time.perf_counter()
    for network in networks:
        topology = shape_only_topology(network)
        for fmt in formats:
            t0 = time.perf_counter()
            rows.append(evaluate_row(network, fmt, built, topology))
            print(f"[reproduce] {network} {fmt}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    table = markdown(rows, platforms)
    print(table)
    print(f"[reproduce] total {time.perf_counter() - start:.1f} s", file=sys.stderr)
    if args.write is not None:
        write_into(args.write, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
