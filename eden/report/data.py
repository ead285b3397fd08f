"""The runs a report reads from MLflow: one row per pipeline (parent) run, with its tags, metrics and curves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: Tags that describe *what* was run (Hydra choices and swept values); the report's tables key on them.
CHOICES = ("model", "model.name", "data", "error_model", "format", "retrain", "mapping", "dram", "platform", "seed")
#: Headline metrics, in pipeline order (the names README.md and docs/mlflow.md use).
HEADLINE = (
    "baseline_acc",
    "tolerable_ber_coarse_unboosted",
    "boosted_acc",
    "tolerable_ber_coarse",
    "final_acc",
    "dram_energy_reduction",
    "speedup",
)


@dataclass
class CurvePoint:
    """One evaluated BER of an accuracy-vs-BER curve: mean accuracy and its confidence interval (seeds, images)."""

    ber: float
    acc: float
    low: float
    high: float


@dataclass
class RunRow:
    run_id: str
    tags: dict[str, str]
    metrics: dict[str, float]
    curves: dict[str, list[CurvePoint]] = field(default_factory=dict)  # name → points sorted by BER
    params: dict[str, str] = field(default_factory=dict)

    def label(self, keys: Sequence[str]) -> str:
        return " ".join(self.tags.get(k, "?") for k in keys) or self.run_id[:8]

    def target(self) -> float | None:
        """The accuracy the run had to keep: its baseline accuracy minus ``target.max_drop`` (a param)."""
        drop = self.params.get("target.max_drop")
        base = self.metrics.get("baseline_acc")
        if drop is None or base is None:
            return None
        try:
            return base - float(drop)
        except ValueError:
            return None


def load_runs(uri: str, experiment: str, sweep: str | None) -> list[RunRow]:
    """Finished parent runs of ``experiment`` (only ``sweep``'s when given), oldest first; reports are skipped."""
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
    runs = _search_all(client, exp.experiment_id, query)
    rows = []
    for run in sorted(runs, key=lambda r: r.info.start_time or 0):
        tags = dict(run.data.tags)
        if "mlflow.parentRunId" in tags or tags.get("report"):
            continue
        rows.append(RunRow(run.info.run_id, tags, dict(run.data.metrics), _curves(client, run), dict(run.data.params)))
    if sweep and not rows:
        raise ConfigError("--sweep", sweep, f"a sweep with finished runs in experiment {experiment!r}")
    return rows


def _search_all(client: Any, experiment_id: str, query: str) -> list[Any]:
    runs: list[Any] = []
    token = None
    while True:
        page = client.search_runs([experiment_id], filter_string=query, max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _curves(client: Any, run: Any) -> dict[str, list[CurvePoint]]:
    """Accuracy-vs-BER curves logged as ``curve.<name>.{ber,acc,low,high}`` at matching steps (no interval: 0 wide)."""
    names = {k[len("curve.") : -len(".ber")] for k in run.data.metrics if k.startswith("curve.") and k.endswith(".ber")}
    curves: dict[str, list[CurvePoint]] = {}
    for name in sorted(names):

        def history(field: str, name: str = name) -> dict[int, float]:
            if f"curve.{name}.{field}" not in run.data.metrics:
                return {}
            return {m.step: m.value for m in client.get_metric_history(run.info.run_id, f"curve.{name}.{field}")}

        bers, accs, lows, highs = (history(f) for f in ("ber", "acc", "low", "high"))
        curves[name] = sorted(
            (CurvePoint(b, accs[s], lows.get(s, accs[s]), highs.get(s, accs[s])) for s, b in bers.items() if s in accs),
            key=lambda p: p.ber,
        )
    return curves


def breakdown_metrics(nominal_j: dict[str, float], eden_j: dict[str, float]) -> dict[str, float]:
    """DRAM energy per component (J per inference), nominal and under the mapping: what ``energy.png`` stacks.

    The evaluate stage's result holds ``breakdown_nominal_j`` and ``breakdown_j``; logging these metrics makes
    the report's breakdown panel appear for pipeline sweeps too.
    """
    out = {f"energy_nominal_j.{k}": float(v) for k, v in nominal_j.items()}
    out.update({f"energy_j.{k}": float(v) for k, v in eden_j.items()})
    return out


def varying(rows: Sequence[RunRow], keys: Sequence[str] = CHOICES) -> list[str]:
    """The choice tags that differ between runs: what the sweep swept (row and column keys of the tables)."""
    return [k for k in keys if len({r.tags.get(k) for r in rows}) > 1]


def pareto_front(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points (energy saved, accuracy) no other point beats on both (more of both is better), by energy."""
    front: list[tuple[float, float]] = []
    for e, a in sorted(points, key=lambda p: (-p[0], -p[1])):
        if not front or a > front[-1][1]:
            front.append((e, a))
    return sorted(front)
