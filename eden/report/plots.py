"""Paper-style plots of a sweep's runs (PNG, matplotlib's Agg backend: no display needed).

Each function takes the report's rows and a path, draws only what the rows hold, and returns the path, or None
when the rows carry none of its metrics (a ``stage=boost`` sweep has no energy to plot).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eden.report.data import RunRow, pareto_front, varying

MAX_GROUPS = 8  # bars per data type in the tolerance plot; more would be unreadable


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def _panels(n: int) -> tuple[int, int]:
    cols = min(n, 2)
    return math.ceil(n / cols), cols


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _ber_panels(
    rows: Sequence[RunRow], path: Path, draw: Callable[[Any, list[RunRow]], None], *, legend: dict[str, Any], title: str
) -> Path:
    """Accuracy vs BER (log axis), one panel per error model; ``draw`` plots one panel's runs."""
    by_model: dict[str, list[RunRow]] = defaultdict(list)
    for r in rows:
        by_model[r.tags.get("error_model", "?")].append(r)
    plt = _pyplot()
    nr, nc = _panels(len(by_model))
    fig, axes = plt.subplots(nr, nc, figsize=(5.5 * nc, 3.8 * nr), squeeze=False, sharey=True)
    for ax, (model, runs) in zip(axes.flat, sorted(by_model.items()), strict=False):
        draw(ax, runs)
        ax.set_xscale("log")
        ax.set(title=f"error model: {model}", xlabel="bit error rate (BER)", ylabel="accuracy")
        ax.grid(alpha=0.3)
        ax.legend(**legend)
    for ax in list(axes.flat)[len(by_model) :]:
        ax.set_visible(False)
    fig.suptitle(title)
    return _save(fig, path)


def _plot_curve(ax: Any, curve: Sequence[tuple[float, float]], label: str) -> None:
    """One (BER, accuracy) curve; BER 0 has no place on the log axis."""
    pts = [p for p in curve if p[0] > 0]
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, label=label)


def plot_accuracy_vs_ber(rows: Sequence[RunRow], path: Path) -> Path | None:
    """Fig. 8: accuracy of the unboosted network vs BER, one panel per error model, one line per format."""
    rows = [r for r in rows if r.curves.get("unboosted")]
    if not rows:
        return None
    line_keys = [k for k in varying(rows) if k not in ("error_model", "platform", "mapping", "retrain")] or ["format"]

    def draw(ax: Any, runs: list[RunRow]) -> None:
        seen: set[str] = set()
        for r in sorted(runs, key=lambda r: _order_key(r, line_keys)):
            label = r.label(line_keys)
            if label in seen:  # e.g. 4 platforms share one characterization: draw it once
                continue
            seen.add(label)
            _plot_curve(ax, r.curves["unboosted"], label)

    legend = {"fontsize": 7, "title": " ".join(line_keys), "title_fontsize": 7}
    title = "Accuracy vs BER before boosting, per error model and format (EDEN Fig. 8)"
    return _ber_panels(rows, path, draw, legend=legend, title=title)


def _order_key(row: RunRow, keys: Sequence[str]) -> tuple[Any, ...]:
    """Formats in width order (int4 < int8 < … < fp32, as the paper lists them), other tags alphabetically."""
    from eden.config import FORMATS

    order = {"int4": 0, "int8": 1, "int16": 2, "fp16": 3, "bf16": 4, "fp32": 5}
    return tuple(
        (order.get(row.tags.get(k, ""), len(FORMATS)), "") if k == "format" else (0, row.tags.get(k, "")) for k in keys
    )


def plot_retraining(rows: Sequence[RunRow], path: Path) -> Path | None:
    """Fig. 10: accuracy vs BER after each retraining scheme (``retrain=none``: the unboosted curve)."""
    rows = [r for r in rows if "retrain" in r.tags and r.curves]
    if not rows or len({r.tags["retrain"] for r in rows}) < 2:
        return None

    def draw(ax: Any, runs: list[RunRow]) -> None:
        for r in sorted(runs, key=lambda r: r.tags["retrain"]):
            boosted = sorted(k for k in r.curves if k.startswith("boosted_"))
            _plot_curve(ax, r.curves[boosted[-1] if boosted else "unboosted"], r.tags["retrain"])

    title = "Accuracy vs BER after curricular / non-curricular / no retraining (EDEN Fig. 10)"
    return _ber_panels(rows, path, draw, legend={"fontsize": 8, "title": "retraining"}, title=title)


def plot_tolerances(rows: Sequence[RunRow], path: Path) -> Path | None:
    """Fig. 11: tolerable BER of each data type (weights and IFMs of every layer), one bar per distinct run."""
    with_tol = [r for r in rows if any(k.startswith("tolerance.") for k in r.metrics)]
    if not with_tol:
        return None
    groups: dict[tuple[float, ...], RunRow] = {}
    keys = sorted({k for r in with_tol for k in r.metrics if k.startswith("tolerance.")}, key=_layer_order)
    for r in with_tol:  # runs that differ only downstream (platform, mapping) share their tolerances
        groups.setdefault(tuple(r.metrics.get(k, math.nan) for k in keys), r)
    shown = list(groups.values())[:MAX_GROUPS]
    label_keys = [k for k in varying(shown) if k not in ("platform", "mapping")]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(7.0, 0.45 * len(keys) * max(1, len(shown)) ** 0.5), 4.5))
    width = 0.8 / len(shown)
    for i, r in enumerate(shown):
        xs = [j + (i - (len(shown) - 1) / 2) * width for j in range(len(keys))]
        ax.bar(xs, [r.metrics.get(k, math.nan) for k in keys], width=width, label=r.label(label_keys))
        if "tolerable_ber_coarse" in r.metrics:
            ax.axhline(r.metrics["tolerable_ber_coarse"], color=f"C{i}", linestyle="--", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(keys)), [k.removeprefix("tolerance.") for k in keys], rotation=60, ha="right", fontsize=7)
    ax.set(xlabel="data type (layer.weights / layer.ifm)", ylabel="tolerable BER (log)")
    ax.set_title("Per-data-type tolerable BER (EDEN Fig. 11)\ndashed: coarse tolerable BER of the whole network")
    if len(shown) > 1 or label_keys:
        ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def _layer_order(key: str) -> tuple[str, int]:
    """Data types in network order as far as names tell: by layer name, weights before IFMs."""
    name = key.removeprefix("tolerance.")
    layer, _, kind = name.rpartition(".")
    return layer, 0 if kind.startswith("weight") else 1


def plot_energy(rows: Sequence[RunRow], path: Path) -> Path | None:
    """DRAM energy per platform: reduction per platform (bars per swept choice) and its breakdown by component."""
    rows = [r for r in rows if "dram_energy_reduction" in r.metrics]
    if not rows:
        return None
    platforms = sorted({r.tags.get("platform", "?") for r in rows})
    series_keys = [k for k in varying(rows) if k != "platform"][:2]
    parts = sorted({k.split(".", 1)[1] for r in rows for k in r.metrics if k.startswith("energy_nominal_j.")})
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2 if parts else 1, figsize=(12 if parts else 7, 4.5), squeeze=False)
    ax = axes[0][0]
    series = sorted({r.label(series_keys) for r in rows}) if series_keys else ["all runs"]
    width = 0.8 / len(series)
    for i, s in enumerate(series):
        vals = [
            100 * _mean([r.metrics["dram_energy_reduction"] for r in rows
                         if r.tags.get("platform", "?") == p and (not series_keys or r.label(series_keys) == s)])
            for p in platforms
        ]  # fmt: skip
        ax.bar([j + (i - (len(series) - 1) / 2) * width for j in range(len(platforms))], vals, width, label=s)
    ax.set_xticks(range(len(platforms)), platforms)
    ax.set(xlabel="platform", ylabel="DRAM energy reduction vs nominal (%)", title="DRAM energy saved per platform")
    if series_keys:
        ax.legend(fontsize=7, title=" ".join(series_keys), title_fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    if parts:
        _plot_breakdown(axes[0][1], rows, platforms, parts)
    return _save(fig, path)


def _plot_breakdown(ax: Any, rows: Sequence[RunRow], platforms: list[str], parts: list[str]) -> None:
    """Stacked DRAM energy by component, nominal (N) and EDEN (E) per platform, as % of each run's nominal total."""
    xs, labels = [], []
    bottoms: dict[tuple[str, str], float] = defaultdict(float)
    for j, p in enumerate(platforms):
        runs = [r for r in rows if r.tags.get("platform", "?") == p]
        totals = [sum(r.metrics.get(f"energy_nominal_j.{k}", 0.0) for k in parts) or 1.0 for r in runs]
        for off, (prefix, tag) in zip((-0.2, 0.2), (("energy_nominal_j", "N"), ("energy_j", "E")), strict=True):
            xs.append(j + off)
            labels.append(f"{p}\n{tag}")
            for i, k in enumerate(parts):  # each run as a share of its own nominal total, then the mean
                v = 100 * _mean(
                    [r.metrics.get(f"{prefix}.{k}", 0.0) / tot for r, tot in zip(runs, totals, strict=True)]
                )
                ax.bar(
                    j + off,
                    v,
                    0.38,
                    bottom=bottoms[(p, tag)],
                    color=f"C{i}",
                    label=k if j == 0 and tag == "N" else None,
                )
                bottoms[(p, tag)] += v
    ax.set_xticks(xs, labels, fontsize=7)
    ax.set(
        xlabel="platform (N: nominal DRAM, E: EDEN's mapping)",
        ylabel="DRAM energy per inference (% of nominal)",
        title="DRAM energy breakdown per platform",
    )
    ax.legend(fontsize=7, title="component", title_fontsize=7)
    ax.grid(axis="y", alpha=0.3)


def plot_pareto(rows: Sequence[RunRow], path: Path) -> Path | None:
    """Accuracy vs DRAM energy saved, every run a point, the Pareto-optimal ones joined."""
    rows = [r for r in rows if "dram_energy_reduction" in r.metrics and "final_acc" in r.metrics]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    color_key = next((k for k in ("platform", *varying(rows)) if len({r.tags.get(k) for r in rows}) > 1), None)
    groups: dict[str, list[RunRow]] = defaultdict(list)
    for r in rows:
        groups[r.tags.get(color_key, "?") if color_key else "runs"].append(r)
    for i, (name, runs) in enumerate(sorted(groups.items())):
        xs = [100 * r.metrics["dram_energy_reduction"] for r in runs]
        ax.scatter(xs, [r.metrics["final_acc"] for r in runs], marker="osD^v<>p"[i % 8], label=name, alpha=0.7)
    front = pareto_front([(r.metrics["dram_energy_reduction"], r.metrics["final_acc"]) for r in rows])
    ax.plot([100 * e for e, _ in front], [a for _, a in front], color="black", linestyle="--", marker="x",
            label="Pareto front")  # fmt: skip
    ax.set(
        xlabel="DRAM energy reduction vs nominal (%)",
        ylabel="final accuracy (validated mapping)",
        title="Accuracy vs DRAM energy saved, with the Pareto front",
    )
    ax.legend(fontsize=7, title=color_key, title_fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, path)


PLOTS = (
    (plot_accuracy_vs_ber, "accuracy_vs_ber.png"),
    (plot_retraining, "retraining.png"),
    (plot_tolerances, "tolerances.png"),
    (plot_energy, "energy.png"),
    (plot_pareto, "pareto.png"),
)
