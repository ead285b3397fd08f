"""Paper-style plots of a sweep's runs (PNG, matplotlib's Agg backend: no display needed).

Each function takes the report's rows and a path, draws only what the rows hold, and returns the path, or None
when the rows carry none of its metrics (a ``stage=boost`` sweep has no energy to plot). Conventions, so that
figures can go into a paper draft as they are: accuracy and energy in percent; BER on a log axis at the BERs the
characterization evaluated, with the confidence interval over error seeds and images as error bars; the accuracy
target as a dashed line; one legend entry per series; titles that name the network, data set and format.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eden.report.data import CurvePoint, RunRow, pareto_front, varying

MAX_GROUPS = 8  # bars per data type in the tolerance plot; more would be unreadable
NETWORKS = {"lenet5": "LeNet-5", "resnet20": "ResNet-20"}
DATASETS = {"mnist": "MNIST", "digits": "digits (scikit-learn)", "cifar10": "CIFAR-10", "imagenet": "ImageNet"}
FORMAT_ORDER = {"int4": 0, "int8": 1, "int16": 2, "fp16": 3, "bf16": 4, "fp32": 5}  # the paper's width order
MARKERS = "osD^v<>p"
LEGEND_AT = 0.83  # panels use the figure's width up to here, the legend the rest
INTERVAL_NOTE = "points: mean accuracy at each evaluated BER; bars: confidence interval over error seeds and images"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Any, note: str | None = None, *, right: float = 1.0) -> Any:
    """Lay out (leaving ``right`` of the width to the panels, the rest to a figure legend); write a PNG to ``path``
    (a file name or a binary file object); return ``path``."""
    if note:
        fig.text(0.01, 0.005, note, fontsize=7, color="dimgray", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.03 if note else 0, right, 1))
    fig.savefig(path, dpi=150, format="png")
    _pyplot().close(fig)
    return path


def _values(rows: Sequence[RunRow], key: str) -> list[str]:
    return sorted({r.tags[key] for r in rows if r.tags.get(key)}, key=lambda v: (FORMAT_ORDER.get(v, 99), v))


def context(rows: Sequence[RunRow], *, with_format: bool = True) -> str:
    """``LeNet-5 on MNIST, int8`` for the runs (several values joined by ``/``)."""
    nets = sorted({r.tags.get("model.name") or NETWORKS.get(r.tags["model"], r.tags["model"])
                   for r in rows if r.tags.get("model")})  # fmt: skip
    data = sorted({DATASETS.get(r.tags["data"], r.tags["data"]) for r in rows if r.tags.get("data")})
    text = f"{'/'.join(nets) or 'network'}{' on ' + '/'.join(data) if data else ''}"
    formats = _values(rows, "format")
    return f"{text}, {'/'.join(formats)}" if with_format and formats else text


def _curve(ax: Any, points: Sequence[CurvePoint], **style: Any) -> None:
    """One accuracy-vs-BER curve in percent with its interval as error bars; BER 0 has no place on a log axis."""
    pts = [p for p in points if p.ber > 0]
    acc = [100 * p.acc for p in pts]
    err = [[100 * (p.acc - p.low) for p in pts], [100 * (p.high - p.acc) for p in pts]]
    ax.errorbar([p.ber for p in pts], acc, yerr=err, capsize=2, markersize=4, linewidth=1.2, **style)


def _target(ax: Any, rows: Sequence[RunRow]) -> None:
    """The accuracy target (baseline minus ``target.max_drop``) as a dashed line, if the runs share one."""
    targets = [t for t in (r.target() for r in rows) if t is not None]
    if targets:
        ax.axhline(100 * sum(targets) / len(targets), color="black", linestyle="--", linewidth=0.9,
                   label="accuracy target")  # fmt: skip


def _ber_axes(ax: Any, title: str) -> None:
    ax.set_xscale("log")
    ax.set(title=title, xlabel="bit error rate (BER)", ylabel="accuracy (%)")
    ax.grid(alpha=0.3, linewidth=0.5)


def _figure_legend(fig: Any, axes: Sequence[Any], title: str) -> None:
    """One legend for the figure, each label once (panels repeat the same series)."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="center left", bbox_to_anchor=(LEGEND_AT, 0.5),
               fontsize=8, title=title, title_fontsize=8)  # fmt: skip


def _panels(plt: Any, n: int) -> tuple[Any, list[Any]]:
    cols = min(n, 2)
    nrows = math.ceil(n / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(5.2 * cols + 1.6, 3.8 * nrows + 0.6), squeeze=False, sharey=True)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def plot_accuracy_vs_ber(rows: Sequence[RunRow], path: Path) -> Path | None:
    """Fig. 8: accuracy of the unboosted network vs BER, one panel per format, the error models overlaid."""
    rows = [r for r in rows if r.curves.get("unboosted")]
    if not rows:
        return None
    formats = _values(rows, "format") or ["?"]
    models = _values(rows, "error_model") or ["?"]
    plt = _pyplot()
    fig, axes = _panels(plt, len(formats))
    for ax, fmt in zip(axes, formats, strict=True):
        in_panel = [r for r in rows if r.tags.get("format", "?") == fmt]
        for i, model in enumerate(models):
            runs = [r for r in in_panel if r.tags.get("error_model", "?") == model]
            if runs:  # runs that differ only downstream (platforms) share one characterization: draw it once
                _curve(ax, runs[0].curves["unboosted"], label=model, color=f"C{i}", marker=MARKERS[i % 8])
        _target(ax, in_panel)
        _ber_axes(ax, f"format {fmt}")
    _figure_legend(fig, axes, "error model")
    fig.suptitle(f"Accuracy vs BER before boosting: {context(rows, with_format=False)} (EDEN Fig. 8)")
    return _save(fig, path, INTERVAL_NOTE, right=LEGEND_AT)


def plot_retraining(rows: Sequence[RunRow], path: Path) -> Path | None:
    """Fig. 10: accuracy vs BER after each retraining scheme (``retrain=none``: the unboosted curve)."""
    rows = [r for r in rows if "retrain" in r.tags and r.curves]
    if not rows or len({r.tags["retrain"] for r in rows}) < 2:
        return None
    models = _values(rows, "error_model") or ["?"]
    schemes = _values(rows, "retrain")
    plt = _pyplot()
    fig, axes = _panels(plt, len(models))
    for ax, model in zip(axes, models, strict=True):
        in_panel = [r for r in rows if r.tags.get("error_model", "?") == model]
        for i, scheme in enumerate(schemes):
            runs = [r for r in in_panel if r.tags["retrain"] == scheme]
            if not runs:
                continue
            boosted = sorted(k for k in runs[0].curves if k.startswith("boosted_"))
            curve = runs[0].curves[boosted[-1] if boosted else "unboosted"]
            _curve(ax, curve, label=scheme, color=f"C{i}", marker=MARKERS[i % 8])
        _target(ax, in_panel)
        _ber_axes(ax, f"error model {model}")
    _figure_legend(fig, axes, "retraining")
    fig.suptitle(f"Accuracy vs BER after retraining: {context(rows)} (EDEN Fig. 10)")
    return _save(fig, path, INTERVAL_NOTE, right=LEGEND_AT)


def _natural(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _layer_order(key: str) -> tuple[list[Any], int]:
    """Data types in name order (``layer10`` after ``layer2``), weights before IFMs: when a run does not list its
    data types in network order (tag ``data_types``)."""
    name = key.removeprefix("tolerance.")
    layer, _, kind = name.rpartition(".")
    return _natural(layer), 0 if kind.startswith("weight") else 1


def plot_tolerances(rows: Sequence[RunRow], path: Path) -> Path | None:
    """Fig. 11: each data type's tolerable BER relative to its run's coarse (whole-network) tolerable BER.

    A ratio on a linear axis from 0 shows real proportions (1.5x looks like 1.5x, which bars on a log axis do
    not); the coarse BER each ratio refers to is in the legend. Bars of the first and last layer are hatched.
    """
    with_tol = [r for r in rows if any(k.startswith("tolerance.") for k in r.metrics)]
    if not with_tol:
        return None
    groups: dict[tuple[float, ...], RunRow] = {}
    network = {f"tolerance.{k}": i for i, k in enumerate(with_tol[0].tags.get("data_types", "").split(",")) if k}
    keys = sorted({k for r in with_tol for k in r.metrics if k.startswith("tolerance.")},
                  key=lambda k: (network.get(k, len(network)), _layer_order(k)))  # fmt: skip
    for r in with_tol:  # runs that differ only downstream (platform, mapping) share their tolerances
        groups.setdefault(tuple(r.metrics.get(k, math.nan) for k in keys), r)
    shown = list(groups.values())[:MAX_GROUPS]
    label_keys = [k for k in varying(shown) if k not in ("platform", "mapping")]
    layers = [k.removeprefix("tolerance.").rpartition(".")[0] for k in keys]
    edge = {i for i, layer in enumerate(layers) if layer in (layers[0], layers[-1])}
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(7.0, 0.5 * len(keys) * max(1, len(shown)) ** 0.5), 4.8))
    width = 0.8 / len(shown)
    for i, r in enumerate(shown):
        coarse = r.metrics.get("tolerable_ber_coarse") or r.metrics.get("tolerable_ber_coarse_unboosted")
        ref = coarse or max(r.metrics.get(k, 0.0) for k in keys) or 1.0
        xs = [j + (i - (len(shown) - 1) / 2) * width for j in range(len(keys))]
        ys = [r.metrics.get(k, math.nan) / ref for k in keys]
        bars = ax.bar(xs, ys, width=width, color=f"C{i}", edgecolor="black", linewidth=0.4,
                      label=f"{r.label(label_keys) + ': ' if label_keys else ''}coarse BER {ref:.3g}")  # fmt: skip
        for j in edge:
            bars[j].set_hatch("//")
    ax.axhline(1.0, color="black", linestyle="--", linewidth=0.9)
    names = [k.removeprefix("tolerance.") for k in keys]
    names = [f"{n} (first)" if j in edge and layers[j] == layers[0] else f"{n} (last)" if j in edge else n
             for j, n in enumerate(names)]  # fmt: skip
    ax.set_xticks(range(len(keys)), names, rotation=60, ha="right", fontsize=7)
    ax.set_ylim(bottom=0)
    ax.set(xlabel="data type (layer weights / input feature maps)", ylabel="tolerable BER / coarse tolerable BER")
    note = "dashed: the whole network's coarse tolerable BER; hatched: first and last layer"
    ax.set_title(f"Per-data-type tolerable BER: {context(shown)} (EDEN Fig. 11)\n{note}", fontsize=9)
    ax.legend(fontsize=7, title=" ".join(label_keys) or None, title_fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_energy(rows: Sequence[RunRow], path: Path) -> Path | None:
    """DRAM energy per platform: reduction per platform (bars per swept choice) and its breakdown by component."""
    rows = [r for r in rows if "dram_energy_reduction" in r.metrics]
    if not rows:
        return None
    platforms = sorted({r.tags.get("platform", "?") for r in rows})
    series_keys = [k for k in varying(rows) if k != "platform"][:2]
    parts = sorted({k.split(".", 1)[1] for r in rows for k in r.metrics if k.startswith("energy_nominal_j.")})
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2 if parts else 1, figsize=(12 if parts else 7, 4.8), squeeze=False)
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
    fig.suptitle(f"DRAM energy: {context(rows)}")
    return _save(fig, path)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


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
                v = 100 * _mean([r.metrics.get(f"{prefix}.{k}", 0.0) / t for r, t in zip(runs, totals, strict=True)])
                label = k if j == 0 and tag == "N" else None
                ax.bar(j + off, v, 0.38, bottom=bottoms[(p, tag)], color=f"C{i}", label=label)
                bottoms[(p, tag)] += v
    ax.set_xticks(xs, labels, fontsize=7)
    ax.set(
        xlabel="platform (N: nominal DRAM, E: EDEN's mapping)",
        ylabel="DRAM energy per inference (% of nominal)",
        title="DRAM energy breakdown per platform",
    )
    ax.set_ylim(0, 125)  # room for the legend above the 100 % bars
    ax.legend(fontsize=7, title="component", title_fontsize=7, ncols=len(parts), loc="upper center")
    ax.grid(axis="y", alpha=0.3)


def plot_pareto(rows: Sequence[RunRow], path: Path) -> Path | None:
    """Accuracy vs DRAM energy saved (both in %), every run a point, the Pareto-optimal ones joined."""
    rows = [r for r in rows if "dram_energy_reduction" in r.metrics and "final_acc" in r.metrics]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    color_key = next((k for k in ("platform", *varying(rows)) if len({r.tags.get(k) for r in rows}) > 1), None)
    groups: dict[str, list[RunRow]] = defaultdict(list)
    for r in rows:
        groups[r.tags.get(color_key, "?") if color_key else "runs"].append(r)
    for i, (name, runs) in enumerate(sorted(groups.items())):
        xs = [100 * r.metrics["dram_energy_reduction"] for r in runs]
        ys = [100 * r.metrics["final_acc"] for r in runs]
        ax.scatter(xs, ys, marker=MARKERS[i % 8], label=name, alpha=0.7)
    front = pareto_front([(r.metrics["dram_energy_reduction"], r.metrics["final_acc"]) for r in rows])
    ax.plot([100 * e for e, _ in front], [100 * a for _, a in front], color="black", linestyle="--", marker="x",
            label="Pareto front")  # fmt: skip
    ax.set(
        xlabel="DRAM energy reduction vs nominal (%)",
        ylabel="final accuracy, validated mapping (%)",
        title=f"Accuracy vs DRAM energy saved: {context(rows)}",
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
