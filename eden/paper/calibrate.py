"""Calibrate the CPU's one uncited memory parameter on two named networks of the paper's Fig. 14.

``python -m eden.paper.calibrate [--values 0,10,...]``

Every other parameter of the CPU memory model is cited in ``conf/platform/cpu.yaml`` (paper §7's memory system,
Ramulator's address mapping and page policy, the cores' L1 fill buffers). The on-chip part of a DRAM access's
round trip (core → L3 miss → memory controller and back, ``on_chip_latency_ns``) has no public value for the
paper's ZSim configuration, so it is fitted here: the value on the grid that minimizes the squared error of the
CPU speedup (fp32 and int8) against the paper's values for :data:`CALIBRATION` only. The other networks are
held out: :mod:`eden.paper.reproduce` reports them next to the paper's values.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

#: The two networks the CPU memory model is calibrated on, and the paper's Fig. 14 CPU speedups (midpoints).
CALIBRATION: dict[str, float] = {"vgg16": 0.075, "resnet101": 0.01}
#: Paper Fig. 14 CPU speedups the reproduction compares with (midpoints of the ranges read off the figure).
PAPER_CPU_SPEEDUP: dict[str, float] = {"resnet101": 0.01, "squeezenet1_1": 0.005, "vgg16": 0.075, "densenet201": 0.075}
GRID = tuple(float(v) for v in range(0, 201, 10))


def cpu_speedups(latency_ns: float, topologies: dict[str, Any], formats: Sequence[str]) -> dict[tuple[str, str], float]:
    """CPU speedup − 1 per (network, format) at ``on_chip_latency_ns = latency_ns``."""
    from eden.paper.reproduce import load_platform, table3_mapping

    cpu = load_platform("cpu", max_cycles=None, cache_dir=None, overrides={"on_chip_latency_ns": latency_ns})
    out = {}
    for network, topology in topologies.items():
        for fmt in formats:
            mapping, device = table3_mapping(network, fmt, topology)
            out[network, fmt] = cpu.evaluate(topology, mapping, device, data_format=fmt).speedup - 1
    return out


def calibrate(grid: Sequence[float] = GRID, formats: Sequence[str] = ("fp32", "int8")) -> tuple[float, list[str]]:
    """(best on-chip latency, report lines) of the grid search described in the module docstring."""
    from eden.paper.reproduce import shape_only_topology

    topologies = {n: shape_only_topology(n) for n in CALIBRATION}
    best, best_err, lines = grid[0], float("inf"), []
    for value in grid:
        speedups = cpu_speedups(value, topologies, formats)
        err = sum((s - CALIBRATION[n]) ** 2 for (n, _), s in speedups.items())
        cells = ", ".join(f"{n}/{f} {100 * s:.2f}%" for (n, f), s in speedups.items())
        lines.append(f"on_chip_latency_ns={value:g}: {cells}; squared error {err:.2e}")
        if err < best_err:
            best, best_err = value, err
    return best, lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--values", default=",".join(f"{v:g}" for v in GRID), help="grid of on-chip latencies (ns)")
    args = parser.parse_args(argv)
    try:
        grid = [float(v) for v in args.values.split(",") if v.strip()]
    except ValueError:
        print(f"--values={args.values!r} is invalid; allowed: comma-separated numbers (ns)", file=sys.stderr)
        return 2
    best, lines = calibrate(grid)
    print("\n".join(lines))
    print(f"best on_chip_latency_ns = {best:g} (calibrated on {', '.join(CALIBRATION)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
