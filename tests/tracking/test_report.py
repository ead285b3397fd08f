"""Reports from MLflow runs: every run in the tables once, pivots in the right cells, plots that are images."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from synthetic_runs import ERROR_MODELS, FORMATS, PLATFORMS, SAVING, fill_error_models, fill_platforms

from eden.report import main, make_report, pareto_front


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def assert_is_drawn_image(path: Path) -> None:
    """A PNG that decodes, of a reasonable size, and not one flat colour."""
    import matplotlib.image as mpimg

    pixels = mpimg.imread(path)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 500, pixels.shape
    assert pixels[..., :3].std() > 0.05


@pytest.fixture
def platforms_report(store: str, tmp_path: Path) -> tuple[str, Path, list[Path]]:
    fill_platforms(store)
    fill_error_models(store)  # another sweep in the same experiment: must not leak into this report
    out = tmp_path / "report"
    return store, out, make_report(uri=store, experiment="eden", sweep="platforms", out=out)


def test_platforms_report_lists_every_run_once_and_pivots_error_model_by_platform(platforms_report) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = platforms_report
    rows = read_csv(out / "runs.csv")
    assert sorted((r["error_model"], r["platform"]) for r in rows) == sorted(
        (em, p) for em in ERROR_MODELS for p in PLATFORMS
    )
    pivot = read_csv(out / "table_dram_energy_reduction.csv")
    assert [r["error_model \\ platform"] for r in pivot] == list(ERROR_MODELS)
    for i, r in enumerate(pivot):  # the synthetic saving: platform's base × (1 + 0.1 × (3 - index))
        for p in PLATFORMS:
            assert float(r[p]) == pytest.approx(SAVING[p] * (1 + 0.1 * (3 - i)), rel=1e-3)
    assert (out / "table_dram_energy_reduction.md").read_text().startswith("| error_model \\ platform | cpu |")


def test_platforms_report_draws_its_four_plots_and_logs_them_to_mlflow(platforms_report) -> None:  # type: ignore[no-untyped-def]
    store, out, written = platforms_report
    for name in ("accuracy_vs_ber.png", "tolerances.png", "energy.png", "pareto.png"):
        assert out / name in written
        assert_is_drawn_image(out / name)
    client = MlflowClient(tracking_uri=store)
    exp = client.get_experiment_by_name("eden")
    (report,) = client.search_runs([exp.experiment_id], "tags.report = 'true'")
    assert report.data.tags["sweep"] == "platforms"
    logged = {a.path for a in client.list_artifacts(report.info.run_id, "report")}
    assert {f"report/{p.name}" for p in written} == logged


def test_error_models_report_has_the_curves_but_no_energy(store: str, tmp_path: Path) -> None:
    fill_error_models(store)
    out = tmp_path / "em"
    written = {
        p.name for p in make_report(uri=store, experiment="eden", sweep="error_models", out=out, log_to_mlflow=False)
    }
    assert "accuracy_vs_ber.png" in written and "energy.png" not in written and "pareto.png" not in written
    pivot = read_csv(out / "table_tolerable_ber_coarse_unboosted.csv")
    for row in pivot:  # narrower formats tolerate more (synthetic, as EDEN Fig. 8): int4 > int8 > int16 > fp32
        values = [float(row[f]) for f in FORMATS]
        assert values == sorted(values, reverse=True)


def test_pareto_front_is_exactly_the_undominated_points() -> None:
    rng = random.Random(7)
    points = [(rng.random(), rng.random()) for _ in range(200)]
    front = set(pareto_front(points))
    for p in points:
        dominated = any(q != p and q[0] >= p[0] and q[1] >= p[1] for q in points)
        assert (p in front) == (not dominated)


def test_unknown_sweep_or_experiment_is_one_line(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_error_models(store)
    assert main(["--uri", store, "--sweep", "nope", "--out", str(tmp_path), "--no-mlflow"]) == 2
    assert main(["--uri", store, "--experiment", "nope", "--out", str(tmp_path), "--no-mlflow"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(err) == 2 and all(line.startswith("error: --") for line in err), err


def test_eden_command_dispatches_report_and_rejects_unknown_commands(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from eden.__main__ import main as eden_main

    fill_error_models(store)
    out = tmp_path / "cli"
    assert eden_main(["report", "--uri", store, "--sweep", "error_models", "--out", str(out), "--no-mlflow"]) == 0
    assert (out / "runs.md").read_text().count("\n") == 2 + len(ERROR_MODELS) * len(FORMATS)
    assert eden_main(["bogus"]) == 2
    assert "command='bogus' is invalid; allowed: report" in capsys.readouterr().err
