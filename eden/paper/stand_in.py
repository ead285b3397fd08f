"""How close the accelerators' analytical stand-in is to SCALE-Sim on real network layers.

``python -m eden.paper.stand_in [--platforms eyeriss,tpu] [--networks ...] [--max-cycles N]``

The accelerators simulate a layer with SCALE-Sim when it fits the cycle budget and use the stand-in
(:func:`eden.platforms.scalesim_runner.analytical_systolic`) otherwise. Every layer SCALE-Sim simulates is a
free check of the stand-in: this prints, per platform × network × format, the stand-in's DRAM bytes over
SCALE-Sim's on those layers (IFM and total) and the layer with the largest IFM gap. Cold (no SCALE-Sim cache)
at the YAML's budget this simulates a few hundred layers: minutes; warm, seconds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eden.errors import ConfigError

PLATFORMS = ("eyeriss", "tpu")
FORMATS = ("fp32", "int8")  # the reproduction's formats (eden.paper.reproduce)


@dataclass(frozen=True)
class StandInCheck:
    platform: str
    network: str
    fmt: str
    layers: int  # layers SCALE-Sim simulated (the rest use the stand-in anyway)
    ifm_ratio: float  # stand-in / SCALE-Sim, IFM bytes summed over those layers
    total_ratio: float  # the same for all DRAM bytes
    worst_layer: str
    worst_ifm_ratio: float


def check(platform: Any, name: str, network: str, fmt: str) -> StandInCheck:
    """Compare the stand-in with SCALE-Sim on every layer of ``network`` that ``platform`` simulates."""
    from eden.paper.networks import shape_only_topology
    from eden.platforms.base import FORMAT_BYTES
    from eden.platforms.scalesim_runner import analytical_systolic

    b = FORMAT_BYTES[fmt]
    sim_ifm = est_ifm = sim_total = est_total = 0.0
    layers, worst, worst_ratio = 0, "–", 1.0
    for layer in shape_only_topology(network):
        simulated = platform.layer_traffic(layer, bytes_per_value=b)
        if simulated.source != "scalesim":
            continue
        stand_in = analytical_systolic(layer, platform.array, bytes_per_value=b,
                                       access_bytes=platform.interface.access_bytes,
                                       interleave_bytes=platform.interface.interleave_bytes)  # fmt: skip
        layers += 1
        sim_ifm, est_ifm = sim_ifm + simulated.ifm_bytes, est_ifm + stand_in.ifm_bytes
        sim_total, est_total = sim_total + simulated.total_bytes, est_total + stand_in.total_bytes
        ratio = stand_in.ifm_bytes / simulated.ifm_bytes if simulated.ifm_bytes else 1.0
        if abs(ratio - 1) > abs(worst_ratio - 1):
            worst, worst_ratio = layer.name, ratio
    return StandInCheck(
        platform=name,
        network=network,
        fmt=fmt,
        layers=layers,
        ifm_ratio=est_ifm / sim_ifm if sim_ifm else 1.0,
        total_ratio=est_total / sim_total if sim_total else 1.0,
        worst_layer=worst,
        worst_ifm_ratio=worst_ratio,
    )


def report(rows: Sequence[StandInCheck]) -> str:
    lines = [
        "| platform | network | format | layers SCALE-Sim simulated | IFM stand-in / SCALE-Sim | total | "
        "largest IFM gap (layer) |",
        "|" + "---|" * 7,
    ]
    for r in rows:
        lines.append(
            f"| {r.platform} | {r.network} | {r.fmt} | {r.layers} | {r.ifm_ratio:.3f} | {r.total_ratio:.3f} | "
            f"{r.worst_ifm_ratio:.2f} ({r.worst_layer}) |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    import time

    from eden.paper.networks import TABLE3, load_platform
    from eden.paper.reproduce import parse_list

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--platforms", default=",".join(PLATFORMS))
    parser.add_argument("--networks", default=",".join(TABLE3))
    parser.add_argument("--formats", default="fp32,int8")
    parser.add_argument("--max-cycles", type=float, default=None, help="SCALE-Sim budget (default: the YAML's)")
    args = parser.parse_args(argv)
    try:
        platforms = parse_list(args.platforms, list(PLATFORMS), "--platforms")
        networks = parse_list(args.networks, list(TABLE3), "--networks")
        formats = parse_list(args.formats, list(FORMATS), "--formats")
        if args.max_cycles is not None and not args.max_cycles >= 0:
            raise ConfigError("--max-cycles", args.max_cycles, "a number >= 0")
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    rows = []
    for name in platforms:
        platform = load_platform(name, max_cycles=args.max_cycles, cache_dir=None)
        for network in networks:
            for fmt in formats:
                start = time.perf_counter()
                rows.append(check(platform, name, network, fmt))
                print(f"[stand_in] {name} {network} {fmt}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    print(report(rows), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
