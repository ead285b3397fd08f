"""Markdown tables of docs/science.md from the studies' JSON files (median and range over seeds / seed sets).

    python -m eden.science.tables fig8 fig8.json [more.json ...]
    python -m eden.science.tables fig10 fig10_0.json fig10_1.json ...
    python -m eden.science.tables fig11 fig11.json
    python -m eden.science.tables boost boost.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import Any


def rows_of(paths: Iterable[str]) -> list[dict[str, Any]]:
    return [r for p in paths for r in json.load(open(p))["rows"]]


def spread(values: list[float], fmt: str = "{:.2e}") -> str:
    """median [min, max] (n) of ``values``."""
    if not values:
        return "–"
    med = statistics.median(values)
    return f"{fmt.format(med)} [{fmt.format(min(values))}, {fmt.format(max(values))}]"


def fig8(rows: list[dict[str, Any]]) -> str:
    """Per model × format × correction: each seed set's estimate, their median and the widest 95 % interval."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["model"], r["format"], r["correction"])].append(r)
    out = ["| error model | format | correction | tolerable BER per seed set | median | 95 % intervals (lowest low, "
           "highest high) | n |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for (model, fmt, corr), rs in groups.items():
        rs = sorted(rs, key=lambda r: r["seed_base"])
        each = ", ".join(f"{r['ber']:.2e}" for r in rs)
        med = statistics.median(r["ber"] for r in rs)
        lo, hi = min(r["low"] for r in rs), max(r["high"] for r in rs)
        out.append(f"| {model} | {fmt} | {corr} | {each} | {med:.2e} | [{lo:.2e}, {hi:.2e}] | {len(rs)} |")
    return "\n".join(out)


def fig10(rows: list[dict[str, Any]]) -> str:
    groups: dict[tuple[float, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["multiple"], r["variant"])].append(r)
    out = ["| target (x unboosted) | variant | retrained net's tolerable BER | its clean acc. (sample) | kept: gain vs "
           "baseline | gain vs control | control acc. | seeds |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for (mult, variant), rs in sorted(groups.items()):
        ratio = [r["retrained_ber"] / r["tolerable_ber_coarse_unboosted"] for r in rs if "retrained_ber" in r]
        out.append(
            f"| {mult:g} | {variant} | {spread(ratio, '{:.2f}x')} | "
            f"{spread([r.get('retrained_sample_acc', float('nan')) for r in rs], '{:.4f}')} | "
            f"{spread([r['boost_gain_vs_baseline'] for r in rs], '{:.2f}x')} | "
            f"{spread([r['boost_gain_vs_control'] for r in rs if 'boost_gain_vs_control' in r], '{:.2f}x')} | "
            f"{spread([r['control_acc'] for r in rs if 'control_acc' in r], '{:.4f}')} | {len(rs)} |"
        )
    return "\n".join(out)


def fig11(rows: list[dict[str, Any]]) -> str:
    out = ["| seed | VDD step | coarse mapping: energy saved | fine: energy saved | fine − coarse | final acc. "
           "coarse / fine | back-off rounds coarse / fine |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    by: dict[tuple[int, float], dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        by[(r["seed"], r["vdd_step"])][r["mapping"]] = r
    diffs: dict[float, list[float]] = defaultdict(list)
    for (seed, step), m in sorted(by.items()):
        if "coarse" not in m or "fine" not in m:
            continue
        c, f = m["coarse"], m["fine"]
        d = f["dram_energy_reduction"] - c["dram_energy_reduction"]
        diffs[step].append(d)
        out.append(f"| {seed} | {step * 1000:g} mV | {100 * c['dram_energy_reduction']:.2f} % | "
                   f"{100 * f['dram_energy_reduction']:.2f} % | {100 * d:+.2f} pt | {100 * c['final_acc']:.2f} / "
                   f"{100 * f['final_acc']:.2f} % | {c['validate.backoff_rounds']:g} / "
                   f"{f['validate.backoff_rounds']:g} |")  # fmt: skip
    for step, ds in diffs.items():
        sd = statistics.stdev(ds) if len(ds) > 1 else float("nan")
        mean = 100 * statistics.mean(ds)
        out.append(f"| **mean** | {step * 1000:g} mV | | | {mean:+.2f} pt (sd {100 * sd:.2f}) | | |")
    return "\n".join(out)


def tolerances(rows: list[dict[str, Any]]) -> str:
    """Per-data-type estimates relative to each seed's coarse estimate."""
    seen: dict[int, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["seed"], r)
    keys = sorted({k for r in seen.values() for k in r["estimates"]})
    out = ["| data type | " + " | ".join(f"seed {s}: est. [lo, hi] / coarse" for s in sorted(seen)) + " |",
           "|---|" + "---|" * len(seen)]  # fmt: skip
    for k in keys:
        cells = []
        for s in sorted(seen):
            r = seen[s]
            est, lo, hi = r["estimates"][k]
            c = r["tolerable_ber_coarse"]
            cells.append(f"{est:.2e} [{lo:.2e}, {hi:.2e}] / {est / c:.1f}x")
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def ratio_bounds(num: list[float], den: list[float]) -> tuple[float, float]:
    """Conservative bounds of a ratio of two estimates from their intervals: [lo_num / hi_den, hi_num / lo_den]."""
    return num[0] / den[1], num[1] / den[0] if den[0] > 0 else float("inf")


def boost(rows: list[dict[str, Any]]) -> str:
    """The default boosting rule per seed: unboosted, each outer iteration, the kept network, the control, gains."""
    out = ["| seed | unboosted [95 % int.] | iterations: target → tolerable BER | kept [95 % int.] | control [95 % "
           "int.] | gain vs baseline [bounds] | gain vs control [bounds] | clean acc. baseline / boosted / control "
           "| epochs kept | unclipped control: BER, gain vs it [bounds] |",
           "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in sorted(rows, key=lambda r: r["seed"]):
        m, ctl = r["metrics"], r["control"]
        ub = [m["tolerable_ber_coarse_unboosted"], *r["unboosted_interval"]]
        kept = [m["tolerable_ber_coarse"], *r["tolerable_interval"]]
        its = "; ".join(f"{it['target_ber']:.2e} → {it['tolerable_ber']:.2e}" for it in r["iterations"])
        gb = ratio_bounds(kept[1:], ub[1:])
        cells = [f"{ub[0]:.2e} [{ub[1]:.2e}, {ub[2]:.2e}]", its, f"{kept[0]:.2e} [{kept[1]:.2e}, {kept[2]:.2e}]"]
        if ctl:
            gc = ratio_bounds(kept[1:], list(ctl["interval"]))
            cells += [f"{ctl['tolerable_ber']:.2e} [{ctl['interval'][0]:.2e}, {ctl['interval'][1]:.2e}]",
                      f"{m['boost_gain_vs_baseline']:.2f}x [{gb[0]:.2f}, {gb[1]:.2f}]",
                      f"{m['boost_gain_vs_control']:.2f}x [{gc[0]:.2f}, {gc[1]:.2f}]"]  # fmt: skip
        else:
            cells += ["–", f"{m['boost_gain_vs_baseline']:.2f}x [{gb[0]:.2f}, {gb[1]:.2f}]", "–"]
        accs = [m.get("baseline_acc"), m.get("boosted_acc"), m.get("control_acc")]
        cells.append(" / ".join("–" if a is None else f"{100 * a:.2f}" for a in accs) + " %")
        cells.append(str(r["epochs_kept"]))
        plain = r.get("control_unclipped") or {}
        if plain:  # a clipped run also fine-tuned without errors and without the clip
            gp = ratio_bounds(kept[1:], list(plain["interval"]))
            cells.append(f"{plain['tolerable_ber']:.2e}: {m['boost_gain_vs_control_unclipped']:.2f}x "
                         f"[{gp[0]:.2f}, {gp[1]:.2f}]")  # fmt: skip
        else:
            cells.append("–")
        out.append(f"| {r['seed']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    tables = {"fig8": fig8, "fig10": fig10, "fig11": fig11, "tolerances": tolerances, "boost": boost}
    p = argparse.ArgumentParser(description="Markdown tables of docs/science.md from the science CLIs' JSON files.")
    p.add_argument("kind", choices=sorted(tables))
    p.add_argument("paths", nargs="+", help="JSON files written by python -m eden.science.<kind> --out")
    args = p.parse_args(argv)
    print(tables[args.kind](rows_of(args.paths)))


if __name__ == "__main__":
    main()
