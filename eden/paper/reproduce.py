"""Reproduce EDEN's platform results (paper §7, Fig. 13/14) for the Table 3 networks torchvision defines.

``python -m eden.paper.reproduce [--platforms cpu,gpu,eyeriss,tpu] [--formats fp32,int8] [--write PATH]
[--json PATH] [--max-cycles N]``

Every datum of a network is mapped to the operating point Table 3 gives for vendor A (coarse mapping: the whole
module at nominal + ΔVDD, nominal + ΔtRCD; :mod:`eden.paper.networks`), and each platform reports DRAM energy
reduction in both scaling modes and speedup. The accelerators are evaluated on DDR4 and on LPDDR3. ``--json``
writes one row per network × format × platform × memory, with the paper's value where it gives one and whether
the row is held out from the CPU calibration (:mod:`eden.paper.calibrate`). SCALE-Sim results are cached per
layer; layers above ``--max-cycles`` (default :data:`MAX_CYCLES`) use the analytical stand-in, which agrees with
SCALE-Sim's DRAM bytes (``tests/platforms/test_scalesim_stand_in.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eden.errors import ConfigError
from eden.paper.calibrate import CALIBRATION, PAPER_CPU_SPEEDUP
from eden.paper.networks import INPUTS, PLATFORM_NAMES, TABLE3, load_platform, shape_only_topology, table3_mapping

__all__ = ["INPUTS", "TABLE3", "main", "shape_only_topology"]

#: Paper's reported averages (§7, Fig. 13/14); per-network CPU energy is ΔVDD / 1.2 V (Fig. 13's rule).
PAPER_AVERAGE = {"cpu": 0.21, "gpu": 0.37, "eyeriss": 0.31, "tpu": 0.32}
PAPER_LPDDR3_AVERAGE = 0.21
PAPER_SPEEDUP = {"cpu": 0.08, "gpu": 0.027, "eyeriss": 0.0, "tpu": 0.0}
PAPER_REFERENCE_VDD = 1.2
ACCELERATORS = ("eyeriss", "tpu")
#: SCALE-Sim budget per layer of the reproduction (cycles of one group); larger layers use the stand-in.
MAX_CYCLES = 2000.0
BEGIN, END = "<!-- BEGIN GENERATED TABLE -->", "<!-- END GENERATED TABLE -->"


def paper_energy(network: str, fmt: str, platform: str, memory: str) -> float | None:
    """The paper's DRAM energy reduction for this row: per network on the CPU (ΔVDD / 1.2 V), else none."""
    if platform == "cpu":
        return -TABLE3[network][fmt][0] / PAPER_REFERENCE_VDD
    return None


def evaluate_rows(network: str, fmt: str, platforms: Mapping[str, Any], topology: Any) -> list[dict[str, Any]]:
    """One row per platform × memory (the accelerators also on LPDDR3)."""
    mapping, device = table3_mapping(network, fmt, topology)
    dvdd, dtrcd = TABLE3[network][fmt]
    rows = []
    for name, platform in platforms.items():
        memories = [platform.dram] + (["lpddr3"] if name in ACCELERATORS else [])
        for memory in memories:
            result = platform.evaluate(topology, mapping, device, data_format=fmt, memory=memory)
            sims = sum(r.source == "scalesim" for r in result.layers)
            paper_sp = PAPER_CPU_SPEEDUP.get(network) if name == "cpu" else (0.0 if name in ACCELERATORS else None)
            rows.append({
                "network": network, "format": fmt, "platform": name, "memory": memory,
                "delta_vdd": dvdd, "delta_trcd_ns": dtrcd,
                "energy_reduction": result.reduction("idd"),
                "energy_reduction_paper": result.reduction("paper"),
                "paper_energy_reduction": paper_energy(network, fmt, name, memory),
                "speedup": result.speedup - 1, "ideal_speedup": result.ideal_speedup - 1,
                "paper_speedup": paper_sp,
                "held_out": network not in CALIBRATION,
                "dram_bytes": result.total_bytes,
                "scalesim_layers": f"{sims}/{len(result.layers)}" if name in ACCELERATORS else None,
            })  # fmt: skip
    return rows


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _table(head: Sequence[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in body)]


def markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """Energy and speedup tables and averages next to the paper's numbers (held-out rows marked)."""
    cols = list(dict.fromkeys((r["platform"], r["memory"]) for r in rows))
    keyed = {(r["network"], r["format"], r["platform"], r["memory"]): r for r in rows}
    cases = list(dict.fromkeys((r["network"], r["format"]) for r in rows))
    label = {c: c[0] if c[0] not in ACCELERATORS or c[1] != "lpddr3" else f"{c[0]} LPDDR3" for c in cols}
    lines = ["### DRAM energy reduction: physical `idd` / the paper's rule `paper` [paper's value]", ""]
    body = []
    for net, fmt in cases:
        dvdd, dtrcd = TABLE3[net][fmt]
        cells = [net, fmt, f"{dvdd:+.2f} V", f"{dtrcd:+.1f} ns"]
        for c in cols:
            r = keyed[net, fmt, *c]
            ours = f"{pct(r['energy_reduction'])} / {pct(r['energy_reduction_paper'])}"
            cells.append(f"{ours} [{pct(r['paper_energy_reduction'])}]")
        body.append(cells)
    lines += _table(["network", "format", "ΔVDD", "ΔtRCD", *(label[c] for c in cols)], body)
    speed_cols = [c for c in cols if c[1] != "lpddr3"]
    lines += ["", "### Speedup from the reduced tRCD: ours [ideal tRCD = 0] (paper)", ""]
    body = []
    for net, fmt in cases:
        cells = [net, fmt, "calibration" if net in CALIBRATION else "held out"]
        for c in speed_cols:
            r = keyed[net, fmt, *c]
            cells.append(f"{pct(r['speedup'])} [{pct(r['ideal_speedup'])}] ({pct(r['paper_speedup'])})")
        body.append(cells)
    lines += _table(["network", "format", "CPU role", *(label[c] for c in speed_cols)], body)
    lines += ["", "### Averages over the rows above vs the paper's averages", ""]
    body = []
    for c in cols:
        sel = [r for r in rows if (r["platform"], r["memory"]) == c]
        paper_e = PAPER_LPDDR3_AVERAGE if c[1] == "lpddr3" else PAPER_AVERAGE[c[0]]
        avg = {k: sum(r[k] for r in sel) / len(sel) for k in ("energy_reduction", "energy_reduction_paper", "speedup")}
        body.append([label[c], pct(avg["energy_reduction"]), pct(avg["energy_reduction_paper"]), pct(paper_e),
                     pct(avg["speedup"]), pct(PAPER_SPEEDUP[c[0]])])  # fmt: skip
    lines += _table(["platform", "energy `idd`", "energy `paper`", "paper", "speedup", "paper speedup"], body)
    sims = [f"{r['network']}/{r['format']} {r['platform']} {r['scalesim_layers']}" for r in rows
            if r["scalesim_layers"] and r["memory"] != "lpddr3"]  # fmt: skip
    if sims:
        lines += ["", f"Layers simulated by SCALE-Sim (the rest: analytical stand-in): {'; '.join(sims)}."]
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
    parser.add_argument("--max-cycles", type=float, default=MAX_CYCLES, help="SCALE-Sim budget per layer (cycles)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache root (default: repository cache)")
    parser.add_argument("--write", type=Path, default=None, help="Markdown file to put the tables into")
    parser.add_argument("--json", type=Path, default=None, help="file for one JSON row per case")
    args = parser.parse_args(argv)
    try:
        platforms = parse_list(args.platforms, PLATFORM_NAMES, "--platforms")
        networks = parse_list(args.networks, list(TABLE3), "--networks")
        formats = parse_list(args.formats, ["fp32", "int8"], "--formats")
        if args.max_cycles < 0:
            raise ConfigError("--max-cycles", args.max_cycles, "a number >= 0 (cycles)")
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    built = {p: load_platform(p, max_cycles=args.max_cycles, cache_dir=args.cache_dir) for p in platforms}
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    for network in networks:
        topology = shape_only_topology(network)
        for fmt in formats:
            t0 = time.perf_counter()
            rows += evaluate_rows(network, fmt, built, topology)
            print(f"[reproduce] {network} {fmt}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    table = markdown(rows)
    print(table)
    print(f"[reproduce] total {time.perf_counter() - start:.1f} s", file=sys.stderr)
    if args.write is not None:
        write_into(args.write, table)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
