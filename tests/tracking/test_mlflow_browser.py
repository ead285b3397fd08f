"""The MLflow UI lists a sweep's runs and compares two: a real server on 127.0.0.1, a real headless Chromium (slow).

Nothing is installed here: without /usr/bin/chromium the test skips (CI installs chromium and chromium-driver).
The runs are logged *through the server* (``http://`` tracking URI), as workers on other machines would.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from mlflow_helpers import mlflow_server
from omegaconf import DictConfig
from synthetic_runs import ERROR_MODELS, PLATFORMS, fill_platforms

from eden.conf import load
from eden.pipeline import with_log10
from eden.tracking import Tracker, config_params

CHROMIUM = Path("/usr/bin/chromium")
SERVER_WAIT_S = 90
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1600,2400",  # tall enough that the grid renders all 16 rows (it virtualizes off-screen rows)
]


def render(url: str, profile: Path) -> str:
    """The DOM after the single-page app has rendered (Chromium's virtual time runs its scripts to idle)."""
    cmd = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=30000", "--dump-dom"]
    proc = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.slow
def test_experiment_page_lists_every_run_of_a_sweep(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium chromium-driver")
    with mlflow_server(tmp_path, wait_s=SERVER_WAIT_S) as url:
        fill_platforms(url)  # through the server's REST API
        client = MlflowClient(tracking_uri=url)
        exp = client.get_experiment_by_name("eden")
        assert exp is not None
        runs = client.search_runs([exp.experiment_id], "tags.sweep = 'platforms'")
        assert len(runs) == len(ERROR_MODELS) * len(PLATFORMS)
        dom = render(f"{url}/#/experiments/{exp.experiment_id}/runs", tmp_path / "chromium-profile")
        names = [r.info.run_name for r in runs]
        missing = [n for n in names if f">{n}<" not in dom]
        assert not missing, f"runs not listed on the experiment page: {missing}"
        assert "Run Name" in dom  # the runs table itself, not an error page that happens to echo names
        assert f">platforms#{len(names)}<" not in dom  # control: a run that does not exist is not found


def text_of(dom: str) -> str:
    """The page's visible text, cells separated by ``|`` (tags stripped)."""
    return re.sub(r"\|+", "|", re.sub(r"<[^>]+>", "|", dom))


def log_pipeline_like_run(url: str, compose_cfg: Callable[[list[str] | None], DictConfig], em: str, ber: float) -> str:
    """A parent run logged as the pipeline logs it: choice tags, the config's params, a dataset, log10 metrics."""
    choices = {"error_model": em, "platform": "cpu", "data": "digits"}
    tracker = Tracker(enabled=True, uri=url, experiment="eden")
    run_id = tracker.start(run_name=None, tags={**choices, "format": "int8", "seed": "0"})
    tracker.log_params(config_params(compose_cfg([f"error_model={em}", "data=digits"]), choices))
    tracker.log_dataset("digits", digest="d1g175", source={"split_seed": 0}, profile={"train_rows": 1348})
    tracker.log_metrics(with_log10({"tolerable_ber_coarse": ber, "final_acc": 0.97}))
    tracker.finish()
    return str(run_id)


@pytest.mark.slow
def test_compare_view_shows_the_error_model_params_and_the_log10_metric_of_two_runs(
    tmp_path: Path, compose_cfg: Callable[[list[str] | None], DictConfig]
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium chromium-driver")
    with mlflow_server(tmp_path, wait_s=SERVER_WAIT_S) as url:
        first = log_pipeline_like_run(url, compose_cfg, "uniform", 3e-3)
        second = log_pipeline_like_run(url, compose_cfg, "bitline", 1e-3)
        exp = MlflowClient(tracking_uri=url).get_experiment_by_name("eden")
        assert exp is not None and exp.tags["mlflow.experimentKind"] == "custom_model_development"
        # The runs table (MLflow 3.17 picks GenAI vs model training from the URL or the sidebar toggle)
        runs_page = text_of(render(f"{url}/#/experiments/{exp.experiment_id}/runs?workflowType=machine_learning",
                                   tmp_path / "profile-runs"))  # fmt: skip
        assert "|Run Name|" in runs_page and "|Dataset|" in runs_page
        assert "|uniform-cpu-int8-s0|" in runs_page and "|bitline-cpu-int8-s0|" in runs_page
        assert "|digits (d1g175)|" in runs_page
        ids = json.dumps([first, second]).replace(" ", "")
        compare = f'{url}/#/compare-runs?runs={ids}&experiments=["{exp.experiment_id}"]&workflowType=machine_learning'
        page = text_of(render(compare, tmp_path / "profile-compare"))
        params = page[page.index("|Parameters|") : page.index("|Metrics|")]
        assert "|error_model|uniform|bitline|" in params  # the choice, side by side
        epochs = load("retrain", "curricular")["epochs"]  # the default retraining's value, as composed
        assert f"|retrain.epochs|{epochs}|{epochs}|" in params  # a numeric setting
        metrics = page[page.index("|Metrics|") :]
        names = metrics.split("|")
        assert "log10_tolerable_ber_coarse" in names and "-2.523" in names and "-3" in names, metrics[:400]
        assert "|no_such_param|" not in params  # control: the check can fail
