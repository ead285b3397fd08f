"""Every sweep, run for real in a tiny form: each job appears exactly once in MLflow, with its tags (slow).

Tiny form: digits data, one epoch, ``stage=baseline`` (run.py sweeps) so the jobs share one cached baseline;
``platforms`` keeps its full 4 × 4 grid on joblib's 2 workers (the issue's acceptance), the others are trimmed
on the command line (a command-line sweep replaces the file's values for that key).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from sweep_helpers import ENTRY, REPO, STUDIES, swept_params

#: Command-line restrictions per sweep (the rest of its grid as in the file).
TRIM = {
    "error_models": {"format": ["int8", "fp32"]},
    "paper_table": {"model.name": ["squeezenet1_1", "alexnet"], "format": ["int8"], "platform": ["cpu", "gpu"]},
}
TINY = ["data=digits", "trainer.max_epochs=1", "trainer.progress_bar=false", "stage=baseline"]


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stage_cache")


@pytest.mark.slow
@pytest.mark.parametrize("name", STUDIES)
def test_sweep_runs_every_job_once_into_mlflow(name: str, tmp_path: Path, shared_cache: Path) -> None:
    grid = {**swept_params(name), **TRIM.get(name, {})}
    entry = ENTRY.get(name, ["run.py"])
    tiny = [] if name in ENTRY else TINY
    uri = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    cmd = [
        sys.executable,
        *entry,
        f"+sweep={name}",
        *tiny,
        *(f"{k}={','.join(v)}" for k, v in TRIM.get(name, {}).items()),
        f"paths.cache={shared_cache}",
        f"paths.data={tmp_path / 'data'}",
        f"tracking.uri={uri}",
        f"hydra.sweep.dir={tmp_path / 'multirun'}",
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    jobs = list(itertools.product(*grid.values()))
    assert "Joblib.Parallel(n_jobs=2" in log and f"launching {len(jobs)} jobs" in log, log[-2000:]

    client = MlflowClient(tracking_uri=uri)
    (exp,) = [e for e in client.search_experiments() if e.name == "eden"]
    runs = [
        r for r in client.search_runs([exp.experiment_id], max_results=1000) if "mlflow.parentRunId" not in r.data.tags
    ]
    assert all(r.info.status == "FINISHED" for r in runs)
    assert all(r.data.tags.get("sweep") == name for r in runs)
    seen = sorted(tuple(r.data.tags.get(k) for k in grid) for r in runs)
    assert seen == sorted(jobs), "every job once: none lost, none duplicated"
    assert sorted(int(r.data.tags["hydra.job_num"]) for r in runs) == list(range(len(jobs)))
    assert all(all(k in r.data.params for k in grid) for r in runs)  # swept values are params: the compare view
    for noise in ("Tip: For seamless", "LeafSpec", "log_every_n_steps"):  # silenced in the worker processes too
        assert noise not in log, noise
    if name not in ENTRY:  # pipeline jobs: every line says which job wrote it
        assert "[#0 " in proc.stdout and f"[#{len(jobs) - 1} " in proc.stdout
    headline = "dram_energy_reduction" if name == "paper_table" else "baseline_acc"
    assert all(headline in r.data.metrics for r in runs)
    if name == "platforms":  # one baseline computed, 15 reused
        assert len(list((shared_cache / "baseline").iterdir())) == 1
        assert sum("cached.baseline" in r.data.tags for r in runs) >= len(jobs) - 1
