"""A run's own accuracy-vs-BER curves (the boost stage's artifacts): CSV, PNG and MLflow metrics by step.

The files go to the stage's folder (kept with ``tracking=off``) and to MLflow as artifacts; each curve point is
also logged as ``curve.<name>.{ber,acc,low,high}`` at step k, which ``eden report`` reads back for the sweep figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eden.context import RunContext
from eden.report.data import CurvePoint
from eden.report.plots import INTERVAL_NOTE, MARKERS, _ber_axes, _curve, _pyplot, _save, context

CSV_NAME, PNG_NAME = "accuracy_vs_ber.csv", "accuracy_vs_ber.png"


def run_context(ctx: RunContext) -> str:
    """``LeNet-5 on MNIST, int8, error model uniform`` for one run (its title), from its Hydra choices."""
    from eden.report.data import RunRow

    choices = dict(ctx.memo.get("choices", {}))
    tags = {"model": choices.get("model", ""), "data": choices.get("data", ""), "format": str(ctx.cfg.format)}
    if choices.get("model") == "torchvision":
        tags["model.name"] = str(ctx.cfg.model.name)
    return f"{context([RunRow('', tags, {})])}, error model {ctx.cfg.error_model.name}"


def write_curves(ctx: RunContext, curves: Mapping[str, list[dict[str, Any]]], folder: Path, *, target: float) -> None:
    """``accuracy_vs_ber.{csv,png}`` in ``folder`` and in MLflow; the points as step metrics.

    The files depend only on the stage's result, so a reused stage folder that has them keeps them untouched.
    """
    if not ((folder / CSV_NAME).is_file() and (folder / PNG_NAME).is_file()):
        _write_files(ctx, curves, folder, target=target)
    for name, points in curves.items():
        for i, p in enumerate(points):
            ctx.tracker.log_metrics({f"curve.{name}.{k}": float(p[k]) for k in ("ber", "acc", "low", "high")}, step=i)
    ctx.tracker.log_artifact(folder / CSV_NAME)
    ctx.tracker.log_artifact(folder / PNG_NAME)


def _write_files(ctx: RunContext, curves: Mapping[str, list[dict[str, Any]]], folder: Path, *, target: float) -> None:
    from eden.cache import atomic_open, atomic_write_bytes

    with atomic_open(folder / CSV_NAME, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["network", "ber", "acc", "low", "high", "pass"])
        for name, points in curves.items():
            for p in points:
                writer.writerow([name, p["ber"], p["acc"], p["low"], p["high"], p["pass"]])
    buf = io.BytesIO()
    plot_run_curves(curves, buf, target=target, title=run_context(ctx))
    atomic_write_bytes(folder / PNG_NAME, buf.getvalue())


def plot_run_curves(
    curves: Mapping[str, list[dict[str, Any]]], out: Path | io.BytesIO, *, target: float, title: str
) -> None:
    """The network before boosting and after each boosting iteration, with intervals and the accuracy target."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (name, points) in enumerate(curves.items()):
        pts = [CurvePoint(p["ber"], p["acc"], p["low"], p["high"]) for p in sorted(points, key=lambda p: p["ber"])]
        label = "before boosting" if name == "unboosted" else name.replace("boosted_", "after boosting, iteration ")
        _curve(ax, pts, label=label, color=f"C{i}", marker=MARKERS[i % 8])
    ax.axhline(100 * target, color="black", linestyle="--", linewidth=0.9, label="accuracy target")
    _ber_axes(ax, f"Accuracy vs BER: {title}")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
    _save(fig, out, INTERVAL_NOTE)
