"""Why the CPU model's speedups are what they are: the model's own terms per network, and the bounds they imply.

``python -m eden.paper.cpu_terms [--networks ...] [--formats fp32]``

A lower tRCD shortens a DRAM access by ``ΔtRCD`` on a row miss and by nothing on a row hit (tRAS, hence tRC, is
not lowered: paper §5). So whatever the MLP, a layer whose time is set by access latency gains at most

    S = Δ·(1 − h) / (L − Δ·(1 − h)),   L = on-chip latency + DRAM latency at row-hit rate h,

and a compute- or bandwidth-bound layer gains nothing. :func:`latency_bound` is that S. Its largest value for a
memory is with every access a row miss, no on-chip latency and a closed page (no tRP in the path):
``Δ / (tRCD + CL + tBURST − Δ)`` (:func:`absolute_bound`). The report lists, per network, the model's speedup,
the share of its time each bound takes, the byte-weighted row-hit rate and access latency, S at those values
(the speedup if the whole run were latency-bound), the absolute bound and the paper's Fig. 14 value.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eden.dram import latency
from eden.errors import ConfigError


def latency_bound(
    device: Any, *, delta_trcd: float, row_hit_rate: float, on_chip_ns: float, closed_page: bool
) -> float:
    """Speedup − 1 of a fully latency-bound access stream when tRCD drops by ``delta_trcd`` (module docstring)."""
    if delta_trcd < 0 or delta_trcd > device.nominal.trcd:
        raise ConfigError("delta_trcd", delta_trcd, f"a number in [0, {device.nominal.trcd:g}] (ns)")
    dram = latency.unloaded_latency_ns(device, row_hit_rate, device.nominal.trcd, closed_page=closed_page)
    nominal = on_chip_ns + dram
    miss = 1.0 if closed_page else 1.0 - row_hit_rate
    gain = delta_trcd * miss
    return gain / (nominal - gain)


def absolute_bound(device: Any, delta_trcd: float) -> float:
    """The largest gain any access-latency model allows: every access a miss, closed page, no on-chip latency."""
    return latency_bound(device, delta_trcd=delta_trcd, row_hit_rate=0.0, on_chip_ns=0.0, closed_page=True)


@dataclass(frozen=True)
class NetworkTerms:
    network: str
    fmt: str
    delta_trcd: float
    macs_per_byte: float
    shares: dict[str, float]  # share of nominal time per bound
    row_hit_rate: float  # byte-weighted over the layers
    latency_ns: float  # unloaded on-chip + DRAM latency at that row-hit rate, nominal tRCD
    speedup: float
    ideal_speedup: float
    if_all_latency_bound: float
    absolute: float
    paper: float | None


def network_terms(network: str, fmt: str, cpu: Any) -> NetworkTerms:
    """Evaluate ``network`` at its Table 3 point on ``cpu`` and collect the terms of the module docstring."""
    from eden.paper.calibrate import PAPER_CPU_SPEEDUP
    from eden.paper.networks import TABLE3, shape_only_topology, table3_mapping
    from eden.platforms.dram_costs import device_of

    topology = shape_only_topology(network)
    mapping, reference = table3_mapping(network, fmt, topology)
    result = cpu.evaluate(topology, mapping, reference, data_format=fmt)
    device = device_of(cpu.dram)
    delta = -TABLE3[network][fmt][1]
    total_bytes = sum(r.weight_bytes + r.ifm_bytes + r.ofm_bytes for r in result.layers)
    hit = sum(r.row_hit_rate * (r.weight_bytes + r.ifm_bytes + r.ofm_bytes) for r in result.layers) / total_bytes
    shares = {b: 0.0 for b in ("compute", "bandwidth", "latency")}
    for r in result.layers:
        shares[r.bound_nominal] += r.time_nominal_s / result.time_nominal_s
    closed = cpu.issue.page_policy == "closed"
    on_chip = cpu.issue.on_chip_latency_ns
    return NetworkTerms(
        network=network,
        fmt=fmt,
        delta_trcd=delta,
        macs_per_byte=sum(layer.macs for layer in topology) / total_bytes,
        shares=shares,
        row_hit_rate=hit,
        latency_ns=on_chip + latency.unloaded_latency_ns(device, hit, device.nominal.trcd, closed_page=closed),
        speedup=result.speedup - 1,
        ideal_speedup=result.ideal_speedup - 1,
        if_all_latency_bound=latency_bound(
            device, delta_trcd=delta, row_hit_rate=hit, on_chip_ns=on_chip, closed_page=closed
        ),
        absolute=absolute_bound(device, delta),
        paper=PAPER_CPU_SPEEDUP.get(network),
    )


def report(terms: Sequence[NetworkTerms]) -> str:
    """Markdown table of :func:`network_terms` rows."""

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}%"

    head = "| network | format | ΔtRCD | MAC/B | time compute/bw/latency | row hits | latency | speedup [ideal] | "
    head += "S if all latency-bound | absolute bound | paper |"
    lines = [head, "|" + "---|" * 11]
    for t in terms:
        s = t.shares
        lines.append(
            f"| {t.network} | {t.fmt} | −{t.delta_trcd:g} ns | {t.macs_per_byte:.2g} | "
            f"{100 * s['compute']:.0f}/{100 * s['bandwidth']:.0f}/{100 * s['latency']:.0f}% | {t.row_hit_rate:.2f} | "
            f"{t.latency_ns:.0f} ns | {pct(t.speedup)} [{pct(t.ideal_speedup)}] | {pct(t.if_all_latency_bound)} | "
            f"{pct(t.absolute)} | {pct(t.paper)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from eden.paper.networks import TABLE3, load_platform
    from eden.paper.reproduce import parse_list

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--networks", default=",".join(TABLE3))
    parser.add_argument("--formats", default="fp32,int8")
    args = parser.parse_args(argv)
    try:
        networks = parse_list(args.networks, list(TABLE3), "--networks")
        formats = parse_list(args.formats, ["fp32", "int8"], "--formats")
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    cpu = load_platform("cpu", max_cycles=None, cache_dir=None)
    print(report([network_terms(n, f, cpu) for n in networks for f in formats]), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
