"""Paper-style tables and plots from the runs in MLflow: ``python -m eden.report --sweep NAME [--uri URI] [--out DIR]``.

Reads the finished parent runs of an experiment (one sweep's, by its ``sweep`` tag) and writes to ``--out``
(default ``reports/<sweep>``):
- ``runs.csv``/``runs.md``: one row per run, its Hydra choices and headline metrics;
- ``table_<metric>.csv/.md``: for a two-way sweep (e.g. error model × platform) a pivot per headline metric;
- ``accuracy_vs_ber.png`` (per error model and format, EDEN Fig. 8), ``retraining.png`` (Fig. 10),
  ``tolerances.png`` (per-data-type tolerable BER, Fig. 11), ``energy.png`` (DRAM energy saved and its breakdown
  per platform), ``pareto.png`` (accuracy vs energy saved, with the Pareto front) — each only if the runs hold
  its metrics;
and logs them as artifacts (folder ``report/``) of a run tagged ``report=true`` in the same experiment.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from eden.config import repo_root
from eden.report.data import CHOICES, HEADLINE, RunRow, load_runs, pareto_front, varying
from eden.report.plots import PLOTS

__all__ = ["RunRow", "load_runs", "main", "make_report", "pareto_front", "write_tables"]


def write_tables(rows: Sequence[RunRow], out: Path) -> list[Path]:
    """``runs.csv/md`` (one row per run) and, for a two-way sweep, one paper-style pivot per headline metric."""
    keys = [k for k in CHOICES if any(k in r.tags for r in rows)]
    metrics = [m for m in HEADLINE if any(m in r.metrics for r in rows)]
    header = ["run_id", *keys, *metrics]
    table = [
        [r.run_id[:8], *(r.tags.get(k, "") for k in keys), *(_fmt(r.metrics.get(m)) for m in metrics)] for r in rows
    ]
    written = _write_both(out / "runs", header, table)
    axes = varying(rows)
    if len(axes) == 2:
        row_key, col_key = axes
        row_vals = _ordered(r.tags.get(row_key, "") for r in rows)
        col_vals = _ordered(r.tags.get(col_key, "") for r in rows)
        for m in metrics:
            cells: dict[tuple[str, str], list[float]] = {}
            for r in rows:
                if m in r.metrics:
                    cells.setdefault((r.tags.get(row_key, ""), r.tags.get(col_key, "")), []).append(r.metrics[m])
            body = [[rv, *(_fmt(_avg(cells.get((rv, cv)))) for cv in col_vals)] for rv in row_vals]
            written += _write_both(out / f"table_{m}", [f"{row_key} \\ {col_key}", *col_vals], body)
    return written


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _avg(values: list[float] | None) -> float | None:
    return None if not values else sum(values) / len(values)


def _write_both(stem: Path, header: list[str], body: list[list[str]]) -> list[Path]:
    csv_path, md_path = stem.with_suffix(".csv"), stem.with_suffix(".md")
    with open(csv_path, "w", newline="") as f:
        csv.writer(f).writerows([header, *body])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    md_path.write_text("\n".join(lines) + "\n")
    return [csv_path, md_path]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def make_report(*, uri: str, experiment: str, sweep: str | None, out: Path, log_to_mlflow: bool = True) -> list[Path]:
    rows = load_runs(uri, experiment, sweep)
    out.mkdir(parents=True, exist_ok=True)
    written = write_tables(rows, out)
    for plot, name in PLOTS:
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
            tracker.log_artifact(path, artifact_path="report")
        tracker.finish()
    print(f"report: {len(rows)} runs → {', '.join(p.name for p in written)} in {out}", flush=True)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    from eden.errors import EdenError

    parser = argparse.ArgumentParser(prog="eden report", description=__doc__.splitlines()[0])
    default_uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(repo_root() / 'mlflow.db').as_posix()}"
    parser.add_argument(
        "--uri",
        default=default_uri,
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or the repository's mlflow.db)",
    )
    parser.add_argument("--experiment", default="eden")
    parser.add_argument("--sweep", default=None, help="only runs tagged sweep=NAME")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default reports/<sweep or all>)")
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
