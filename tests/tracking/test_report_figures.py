"""Report figures fit for a paper: what each figure draws, checked on the matplotlib objects (not pixels)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from eden.report import plots
from eden.report.curves import plot_run_curves
from eden.report.data import CurvePoint, RunRow


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every figure a plot function would save, kept open for inspection."""
    kept: list[Any] = []

    def keep(fig: Any, path: Any, note: str | None = None, *, right: float = 1.0) -> Any:
        kept.append(fig)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    return kept


def curve(tol: float) -> list[CurvePoint]:
    out = []
    for i in range(12):
        ber = 10.0 ** (-7 + 0.5 * i)
        acc = 0.1 + 0.88 / (1 + math.exp(3 * (math.log10(ber) - math.log10(tol))))
        out.append(CurvePoint(ber, acc, acc - 0.02, acc + 0.02))
    return out


def row(i: int, em: str, fmt: str, *, retrain: str = "curricular", metrics: dict[str, float] | None = None) -> RunRow:
    tags = {"error_model": em, "format": fmt, "model": "lenet5", "data": "mnist", "retrain": retrain, "seed": str(i)}
    tol = {"uniform": 3e-3, "bitline": 1e-3}[em]
    base = {"baseline_acc": 0.98, "tolerable_ber_coarse": tol, **(metrics or {})}
    curves = {"unboosted": curve(tol), "boosted_0": curve(3 * tol)}
    return RunRow(f"run{i}", tags, base, curves, {"target.max_drop": "0.01"})


def legend_labels(fig: Any) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_accuracy_vs_ber_overlays_error_models_per_format_with_intervals_and_the_target(figures: list[Any]) -> None:
    points = [(e, f) for e in ("uniform", "bitline") for f in ("int8", "fp32")]
    rows = [row(i, em, fmt) for i, (em, fmt) in enumerate(points)]
    rows.append(row(9, "uniform", "int8"))  # a second run of the same point (another platform): drawn once
    assert plots.plot_accuracy_vs_ber(rows, Path("x.png")) is not None
    (fig,) = figures
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["format int8", "format fp32"]  # width order, one panel each
    for ax in axes:
        assert ax.get_xscale() == "log" and ax.get_ylabel() == "accuracy (%)"
        assert len(ax.containers) == 2  # one errorbar series per error model, never duplicated
        target = [ln for ln in ax.get_lines() if ln.get_label() == "accuracy target"]
        assert target and target[0].get_ydata()[0] == pytest.approx(97.0)  # baseline 98 % minus max_drop 1 %
    labels = legend_labels(fig)
    assert sorted(labels) == ["accuracy target", "bitline", "uniform"]  # each once for the whole figure
    assert "LeNet-5 on MNIST" in fig._suptitle.get_text() and "Fig. 8" in fig._suptitle.get_text()


def test_retraining_figure_lists_each_scheme_once(figures: list[Any]) -> None:
    rows = [row(0, "uniform", "int8"), row(1, "uniform", "int8"), row(2, "uniform", "int8", retrain="none")]
    plots.plot_retraining(rows, Path("x.png"))
    (fig,) = figures
    assert sorted(legend_labels(fig)) == ["accuracy target", "curricular", "none"]
    assert "int8" in fig._suptitle.get_text() and "MNIST" in fig._suptitle.get_text()


def test_tolerances_are_ratios_on_a_linear_axis_from_zero_with_first_and_last_layer_marked(figures: list[Any]) -> None:
    tolerances = {"tolerance.conv1.weights": 0.029, "tolerance.conv2.weights": 0.045, "tolerance.fc3.ifm": 0.03}
    rows = [row(0, "uniform", "int8", metrics={**tolerances, "tolerable_ber_coarse": 0.02})]
    plots.plot_tolerances(rows, Path("x.png"))
    (fig,) = figures
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear" and ax.get_ylim()[0] == 0
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([1.45, 2.25, 1.5])  # 0.045 / 0.029 reads as 1.55x, as it is
    assert [bool(p.get_hatch()) for p in ax.patches] == [True, False, True]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0].endswith("(first)") and ticks[-1].endswith("(last)") and "(" not in ticks[1]


def test_pareto_uses_percent_on_both_axes(figures: list[Any]) -> None:
    rows = [row(i, "uniform", "int8", metrics={"dram_energy_reduction": 0.2 + 0.1 * i, "final_acc": 0.97 - 0.01 * i})
            for i in range(3)]  # fmt: skip
    plots.plot_pareto(rows, Path("x.png"))
    (fig,) = figures
    ax = fig.axes[0]
    assert "(%)" in ax.get_xlabel() and "(%)" in ax.get_ylabel()
    assert ax.get_ylim()[1] > 50  # accuracy as a percentage, like the energy


def test_the_stage_plot_is_a_png_with_both_curves(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    pts = [{"ber": p.ber, "acc": p.acc, "low": p.low, "high": p.high, "pass": p.acc > 0.97} for p in curve(3e-3)]
    path = tmp_path / "accuracy_vs_ber.png"
    plot_run_curves({"unboosted": pts, "boosted_0": pts}, path, target=0.97, title="LeNet-5 on MNIST, int8")
    pixels = mpimg.imread(path)
    assert pixels.shape[0] > 500 and pixels[..., :3].std() > 0.05


def test_tolerances_follow_the_network_order_the_run_recorded(figures: list[Any]) -> None:
    order = "features.0.weights,features.0.ifm,classifier.1.weights,classifier.5.ifm"
    metrics = {f"tolerance.{k}": 0.01 for k in order.split(",")}
    r = row(0, "uniform", "int8", metrics={**metrics, "tolerable_ber_coarse": 0.01})
    r.tags["data_types"] = order  # name order would put classifier.* first
    plots.plot_tolerances([r], Path("x.png"))
    ticks = [t.get_text() for t in figures[0].axes[0].get_xticklabels()]
    assert ticks == ["features.0.weights (first)", "features.0.ifm (first)", "classifier.1.weights",
                     "classifier.5.ifm (last)"]  # fmt: skip
