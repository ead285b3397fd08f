"""Why the CPU model's speedups are what they are: the model's own terms per network, and the bounds they imply.

``python -m eden.paper.cpu_terms [--networks ...] [--formats fp32] [--set FIELD=VALUE ...] [--traffic MODEL]``

``--set`` overrides a field of ``conf/platform/cpu.yaml`` (e.g. ``page_policy=closed``, ``l3_kb_per_core=32``);
``--traffic`` swaps the CPU's blocked-GEMM traffic for a what-if (:data:`TRAFFIC_MODELS`), so that every variant
docs/paper_reproduction.md lists is one command.

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
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eden.dram import latency
from eden.errors import ConfigError
from eden.platforms.topology import Layer
from eden.platforms.traffic import LayerTraffic


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


def darknet_traffic(
    layer: Layer, *, capacity_bytes: float, bytes_per_value: float, row_hit_rate: float, streams: float | None
) -> LayerTraffic:
    """DRAM traffic of Darknet's CPU convolution (Redmon, darknet ``src/convolutional_layer.c``, ``src/gemm.c``):
    im2col into a K×P matrix (skipped for 1×1 stride-1 kernels), then the unblocked ``gemm_nn`` loop
    ``for filter: for k: for pixel`` that walks the whole matrix once per filter. A matrix larger than the
    last-level cache is written once and read once per filter; one that fits is read once. ``streams``: IFM
    streams per core (None: one per input-channel plane, as the blocked model assumes)."""
    b = bytes_per_value
    weights, ofm = layer.weight_numel * b, layer.ofm_numel * b
    if not layer.has_weights:
        return LayerTraffic(layer=layer.name, weight_bytes=0.0, ifm_bytes=layer.ifm_numel * b, ofm_bytes=ofm,
                            row_hit_rate=row_hit_rate, ifm_streams=streams)  # fmt: skip
    groups, pixels, filters, window = layer.gemm()
    matrix = window * pixels * b  # per group
    direct = layer.kernel_h == layer.kernel_w == 1 and layer.stride_h == layer.stride_w == 1
    if matrix > capacity_bytes:
        ifm = groups * matrix * (filters + (0 if direct else 1))  # re-read per filter, plus the im2col write
    else:
        ifm = max(groups * matrix, layer.ifm_numel * b)
    return LayerTraffic(layer=layer.name, weight_bytes=weights, ifm_bytes=ifm, ofm_bytes=ofm,
                        row_hit_rate=row_hit_rate, ifm_streams=streams)  # fmt: skip


#: What-if CPU traffic models: name → IFM streams per core (None: per input-channel plane).
TRAFFIC_MODELS: dict[str, float | None] = {"darknet": 1.0, "darknet-planes": None}


def with_traffic(cpu: Any, model: str) -> Any:
    """``cpu`` with its per-layer traffic replaced by the what-if ``model`` (instance attribute only)."""
    if model not in TRAFFIC_MODELS:
        raise ConfigError("--traffic", model, ["blocked", *TRAFFIC_MODELS])
    streams = TRAFFIC_MODELS[model]

    def layer_traffic(layer: Layer, *, bytes_per_value: float) -> LayerTraffic:
        hit = 1.0 - cpu.interface.access_bytes / cpu.interface.interleave_bytes
        return darknet_traffic(layer, capacity_bytes=cpu.on_chip_bytes, bytes_per_value=bytes_per_value,
                               row_hit_rate=hit, streams=streams)  # fmt: skip

    cpu.layer_traffic = layer_traffic
    return cpu


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


#: Memory-time models ``--memory`` chooses: the analytic one, or the simulated controller without / with
#: Ramulator's DDR4-2133 activation and column limits (tRRD, tFAW, tCCD_L).
MEMORY_MODELS: tuple[str, ...] = ("analytic", "simulated", "simulated-ramulator")


def memory_model(cpu: Any, name: str) -> Any:
    """The ``memory`` argument of ``cpu.evaluate`` for ``--memory name`` (None: the analytic default)."""
    from eden.platforms.dram_costs import device_of
    from eden.platforms.simulated_memory import RAMULATOR_DDR4_2133_LIMITS

    if name not in MEMORY_MODELS:
        raise ConfigError("--memory", name, MEMORY_MODELS)
    if name == "analytic":
        return None
    device = device_of(cpu.dram)
    if name == "simulated-ramulator" and device.name != "ddr4_2133":
        raise ConfigError("--memory", name, "simulated (Ramulator's limits are cited for ddr4_2133 only)")
    return cpu.simulated_costs(device, RAMULATOR_DDR4_2133_LIMITS if name == "simulated-ramulator" else None)


def network_terms(network: str, fmt: str, cpu: Any, memory: Any = None) -> NetworkTerms:
    """Evaluate ``network`` at its Table 3 point on ``cpu`` and collect the terms of the module docstring;
    ``memory``: a costs model replacing the analytic one (:func:`memory_model`)."""
    from eden.paper.calibrate import PAPER_CPU_SPEEDUP
    from eden.paper.networks import TABLE3, shape_only_topology, table3_mapping
    from eden.platforms.dram_costs import device_of

    topology = shape_only_topology(network)
    mapping, reference = table3_mapping(network, fmt, topology)
    result = cpu.evaluate(topology, mapping, reference, data_format=fmt, memory=memory)
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


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``FIELD=VALUE`` pairs as platform overrides (numbers where they parse, integers where whole)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError("--set", item, "FIELD=VALUE, a field of conf/platform/cpu.yaml")
        try:
            value: Any = float(raw)
            value = int(value) if value.is_integer() and "." not in raw else value
        except ValueError:
            value = raw
        out[key] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from eden.paper.networks import TABLE3, load_platform
    from eden.paper.reproduce import parse_list

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--networks", default=",".join(TABLE3))
    parser.add_argument("--formats", default="fp32,int8")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="CPU YAML override")
    parser.add_argument("--traffic", default="blocked", help=f"blocked or a what-if: {', '.join(TRAFFIC_MODELS)}")
    parser.add_argument("--memory", default="analytic", help=f"memory-time model: {', '.join(MEMORY_MODELS)}")
    args = parser.parse_args(argv)
    try:
        networks = parse_list(args.networks, list(TABLE3), "--networks")
        formats = parse_list(args.formats, ["fp32", "int8"], "--formats")
        cpu = load_platform("cpu", max_cycles=None, cache_dir=None, overrides=parse_overrides(args.set))
        if args.traffic != "blocked":
            cpu = with_traffic(cpu, args.traffic)
        memory = memory_model(cpu, args.memory)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    rows = []
    for network in networks:
        for fmt in formats:
            start = time.perf_counter()
            rows.append(network_terms(network, fmt, cpu, memory))
            print(f"[cpu_terms] {network} {fmt}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    print(report(rows), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
