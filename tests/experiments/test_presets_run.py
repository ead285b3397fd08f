"""Each preset end to end in tiny form, output redirected to a file as on a cluster (slow: a subprocess run each).

What a person reading the log and the MLflow UI needs: no progress bar, short lines, one line per epoch, a summary
naming the run's choices (also in Hydra's run.log), params that compare, the data set as an input.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from presets import TINY, presets

from eden.host import cpu_name

REPO = Path(__file__).resolve().parents[2]
MAX_LINE, MAX_LOG_BYTES = 300, 30_000


@pytest.mark.slow
@pytest.mark.parametrize("name", presets())
def test_a_preset_runs_in_tiny_form_with_a_readable_log_and_comparable_run(name: str, tmp_path: Path) -> None:
    uri = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    store = [f"paths.cache={tmp_path / 'cache'}", f"tracking.uri={uri}", f"hydra.run.dir={tmp_path / 'hydra'}",
             f"hydra.sweep.dir={tmp_path / 'multirun'}"]  # fmt: skip
    log = tmp_path / "log"
    with open(log, "w") as out:  # not a terminal: no progress bar
        proc = subprocess.run(
            [sys.executable, "run.py", f"experiment={name}", *TINY[name], *store],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=600,
            check=False,
        )
    text = log.read_text()
    assert proc.returncode == 0, text[-3000:]
    assert "\r" not in text and "it/s]" not in text, "a progress bar went to the file"
    assert len(text.encode()) < MAX_LOG_BYTES
    # Hydra's own launcher lines of a sweep preset ("[HYDRA] #0 : <every override>") echo the command line
    assert max(len(line) for line in text.splitlines() if "[HYDRA]" not in line) <= MAX_LINE
    assert "[baseline] epoch 2/2: BER 0, loss " in text  # one line per epoch instead of the bar
    for noise in ("litlogger", "LeafSpec", "log_every_n_steps", "GPU available"):
        assert noise not in text, f"library noise in the log: {noise}"
    summary = text[text.index("EDEN summary of ") :]
    assert "error_model=uniform" in summary and "data=digits" in summary and f"experiment={name}" in summary
    (run_log,) = tmp_path.glob("*/**/run.log")  # hydra/run.log, or multirun/0/run.log for a sweep preset
    assert "EDEN summary of " in run_log.read_text()
    stage_files = {p.name for p in (tmp_path / "cache" / "boost").rglob("accuracy_vs_ber.*")}
    assert stage_files == {"accuracy_vs_ber.csv", "accuracy_vs_ber.png"}  # in the stage folder, not only MLflow

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("eden")
    assert exp is not None and exp.tags["mlflow.experimentKind"] == "custom_model_development"
    (run,) = [r for r in client.search_runs([exp.experiment_id]) if "mlflow.parentRunId" not in r.data.tags]
    multirun = (tmp_path / "multirun").is_dir()  # the science presets are sweeps (one job in tiny form)
    assert run.info.run_name.startswith(f"{name}#0") if multirun else run.info.run_name == f"{name}-uniform-cpu-int8-s0"
    assert run.data.tags["data_types"].startswith("features.0.weights,features.0.ifm,")  # LeNet-5, network order
    assert run.data.tags["host.cpu"] == cpu_name() and int(run.data.tags["host.intra_op_threads"]) >= 1
    params = run.data.params
    assert params["error_model"] == "uniform" and params["data"] == "digits" and params["experiment"] == name
    assert params["retrain.epochs"] == "1" and params["format"] == "int8" and "error_model.p" in params
    assert "log10_tolerable_ber_coarse" in run.data.metrics
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["digits"]
