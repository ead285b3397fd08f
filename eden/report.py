"""Paper-style tables and plots from the runs in MLflow: ``python -m eden.report [--sweep NAME]``.

Reads the parent runs of an experiment (optionally one sweep's, by its ``sweep`` tag), writes to ``--out``:
``runs.csv``/``runs.md`` (one row per run: its Hydra choices and headline metrics), ``accuracy_vs_ber.png`` (per
error model and format, like the paper's Fig. 8), ``tolerances.png`` (per-data-type tolerable BER, Fig. 11),
``energy.png`` (DRAM energy reduction and its breakdown per platform), ``pareto.png`` (accuracy vs energy saved, with
the Pareto front) — and logs them as artifacts of a ``report`` run in the same experiment.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eden.config import repo_root

CHOICES = ("model", "data", "error_model", "format", "retrain", "mapping", "dram", "platform", "seed")
HEADLINE = (
    "baseline_acc",
    "boosted_acc",
    "tolerable_ber_coarse_unboosted",
    "tolerable_ber_coarse",
    "final_acc",
    "dram_energy_reduction",
    "speedup",
)


@dataclass
class RunRow:
    run_id: str
    tags: dict[str, str]
    metrics: dict[str, float]
    curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def load_runs(uri: str, experiment: str, sweep: str | None) -> list[RunRow]:
    from mlflow.tracking import MlflowClient

    from eden.errors import ConfigError

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        names = [e.name for e in client.search_experiments()]
        raise ConfigError("--experiment", experiment, names or "(no experiments in this store)")
    query = "attributes.status = 'FINISHED'"
    if sweep:
        query += f" and tags.sweep = '{sweep}'"
    rows = []
    for run in client.search_runs([exp.experiment_id], filter_string=query, max_results=5000):
        if "mlflow.parentRunId" in run.data.tags or run.data.tags.get("report"):
            continue
        row = RunRow(run.info.run_id, dict(run.data.tags), dict(run.data.metrics))
        for name in {
            k.split(".")[1] for k in run.data.metrics if k.startswith("curve.") and k.endswith(".ber")
        }:
            bers = client.get_metric_history(run.info.run_id, f"curve.{name}.ber")
            accs = client.get_metric_history(run.info.run_id, f"curve.{name}.acc")
            by_step = {m.step: m.value for m in accs}
            row.curves[name] = sorted((b.value, by_step[b.step]) for b in bers if b.step in by_step)
        rows.append(row)
    return rows


def write_tables(rows: Sequence[RunRow], out: Path) -> list[Path]:
    header = ["run_id", *CHOICES, *HEADLINE]
    table = [
        [r.run_id[:8], *(r.tags.get(c, "") for c in CHOICES), *(_fmt(r.metrics.get(m)) for m in HEADLINE)]
        for r in rows
    ]
    csv_path, md_path = out / "runs.csv", out / "runs.md"
    with open(csv_path, "w", newline="") as f:
        csv.writer(f).writerows([header, *table])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in table]
    md_path.write_text("\n".join(lines) + "\n")
    return [csv_path, md_path]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_accuracy_vs_ber(rows: Sequence[RunRow], path: Path) -> Path | None:
    curves = [(r, name, pts) for r in rows for name, pts in r.curves.items() if name == "unboosted" and pts]
    if not curves:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r, _, pts in curves:
        pts = [p for p in pts if p[0] > 0]
        label = f"{r.tags.get('error_model', '?')} / {r.tags.get('format', '?')}"
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", label=label)
    ax.set_xscale("log")
    ax.set(
        xlabel="bit error rate",
        ylabel="accuracy",
        title="Accuracy vs BER before boosting, per error model and format",
    )
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_tolerances(rows: Sequence[RunRow], path: Path) -> Path | None:
    with_tol = [r for r in rows if any(k.startswith("tolerance.") for k in r.metrics)]
    if not with_tol:
        return None
    plt = _pyplot()
    run = with_tol[0]
    keys = [k for k in run.metrics if k.startswith("tolerance.")]
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(keys)), 4))
    labels = [k.removeprefix("tolerance.") for k in keys]
    colors = ["tab:blue" if k.endswith(".weights") else "tab:orange" for k in keys]
    ax.bar(range(len(keys)), [run.metrics[k] for k in keys], color=colors)
    if "tolerable_ber_coarse" in run.metrics:
        ax.axhline(
            run.metrics["tolerable_ber_coarse"], color="grey", linestyle="--", label="coarse tolerable BER"
        )
        ax.legend()
    ax.set_xticks(range(len(keys)), labels, rotation=60, ha="right", fontsize=7)
    ax.set(
        ylabel="tolerable BER",
        title=f"Per-data-type tolerable BER (blue: weights, orange: IFMs), run {run.run_id[:8]}",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_energy(rows: Sequence[RunRow], path: Path) -> Path | None:
    grouped: dict[str, list[RunRow]] = defaultdict(list)
    for r in rows:
        if "dram_energy_reduction" in r.metrics:
            grouped[r.tags.get("platform", "?")].append(r)
    if not grouped:
        return None
    plt = _pyplot()
    parts = sorted({k for r in rows for k in r.metrics if k.startswith("energy_saved.")})
    fig, ax = plt.subplots(figsize=(7, 4))
    platforms = sorted(grouped)
    bottom = [0.0] * len(platforms)
    if parts:
        for part in parts:
            vals = [_mean([r.metrics.get(part, 0.0) for r in grouped[p]]) for p in platforms]
            ax.bar(platforms, vals, bottom=bottom, label=part.removeprefix("energy_saved."))
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        ax.legend(title="saved in")
    else:
        ax.bar(
            platforms, [_mean([r.metrics["dram_energy_reduction"] for r in grouped[p]]) for p in platforms]
        )
    ax.set(ylabel="DRAM energy reduction (fraction)", title="DRAM energy saved per platform (mean over runs)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def pareto_front(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points (energy saved, accuracy) not dominated by any other (more of both is better)."""
    front: list[tuple[float, float]] = []
    for e, a in sorted(points, key=lambda p: (-p[0], -p[1])):
        if not front or a > front[-1][1]:
            front.append((e, a))
    return sorted(front)


def plot_pareto(rows: Sequence[RunRow], path: Path) -> Path | None:
    pts = [
        (r.metrics["dram_energy_reduction"], r.metrics["final_acc"])
        for r in rows
        if "dram_energy_reduction" in r.metrics and "final_acc" in r.metrics
    ]
    if not pts:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([p[0] for p in pts], [p[1] for p in pts], label="runs")
    front = pareto_front(pts)
    ax.plot([p[0] for p in front], [p[1] for p in front], color="tab:red", marker="o", label="Pareto front")
    ax.set(
        xlabel="DRAM energy reduction (fraction)",
        ylabel="final accuracy",
        title="Accuracy vs DRAM energy saved",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def make_report(
    *, uri: str, experiment: str, sweep: str | None, out: Path, log_to_mlflow: bool = True
) -> list[Path]:
    rows = load_runs(uri, experiment, sweep)
    out.mkdir(parents=True, exist_ok=True)
    written = write_tables(rows, out)
    for plot, name in (
        (plot_accuracy_vs_ber, "accuracy_vs_ber.png"),
        (plot_tolerances, "tolerances.png"),
        (plot_energy, "energy.png"),
        (plot_pareto, "pareto.png"),
    ):
        path = plot(rows, out / name)
        if path is not None:
            written.append(path)
    if log_to_mlflow:
        from eden.tracking import Tracker

        tracker = Tracker(enabled=True, uri=uri, experiment=experiment)
        tracker.start(
            run_name=f"report {sweep or 'all'}",
            tags={"report": "true", **({"sweep": sweep} if sweep else {})},
        )
        for path in written:
            tracker.log_artifact(path)
        tracker.finish()
    print(f"report: {len(rows)} runs → {', '.join(p.name for p in written)} in {out}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    from eden.errors import EdenError

    parser = argparse.ArgumentParser(prog="python -m eden.report", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--uri", default=f"sqlite:///{(repo_root() / 'mlflow.db').as_posix()}", help="MLflow tracking URI"
    )
    parser.add_argument("--experiment", default="eden")
    parser.add_argument("--sweep", default=None, help="only runs tagged sweep=NAME")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default reports/<sweep or all>)"
    )
    parser.add_argument("--no-mlflow", action="store_true", help="do not log the report back to MLflow")
    args = parser.parse_args(argv)
    out = args.out or repo_root() / "reports" / (args.sweep or "all")
    try:
        make_report(
            uri=args.uri,
            experiment=args.experiment,
            sweep=args.sweep,
            out=out,
            log_to_mlflow=not args.no_mlflow,
        )
    except EdenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
